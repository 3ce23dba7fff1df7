"""Parse errors: every grammar.md §5 template with its id, text, line:col and incompleteness; tests.md 11, 16."""

from __future__ import annotations

import pytest
from lang_helpers import parse_error

# (input, error id, line, col, incomplete)
ERROR_CASES = [
    ("$x = 5 6", "UnexpectedToken", 1, 8, False),
    ("1 -foo 2", "UnexpectedToken", 1, 3, False),
    ("Get-A }", "UnexpectedToken", 1, 7, False),
    ("1 +", "ExpectedValueExpression", 1, 4, True),
    ("(1 + )", "ExpectedValueExpression", 1, 6, False),
    ("$a -and\n\n", "ExpectedValueExpression", 3, 1, True),
    ("$x =", "ExpectedValueExpression", 1, 5, True),
    ("-not", "MissingExpressionAfterOperator", 1, 5, True),
    ("(! )", "MissingExpressionAfterOperator", 1, 4, False),
    ("1,", "MissingExpressionAfterToken", 1, 3, True),
    ("(1, )", "MissingExpressionAfterToken", 1, 5, False),
    ("Write-Output a,,b", "MissingExpression", 1, 16, False),
    ("Write-Output a,", "MissingExpression", 1, 16, True),
    ("Set-Thing -Name:", "ParameterRequiresArgument", 1, 11, False),
    ("gcm -a: | Get-B", "ParameterRequiresArgument", 1, 5, False),
    ("Write-Output ,1", "MissingArgument", 1, 14, False),
    ("Set-Thing -Name:,x", "MissingArgument", 1, 17, False),
    ("Get-Foo |", "EmptyPipeElement", 1, 9, True),
    ("Get-Foo | | Get-B", "EmptyPipeElement", 1, 9, False),
    ("Get-Foo |\n# only a comment\n", "EmptyPipeElement", 1, 9, True),
    ("1|1", "ExpressionsMustBeFirstInPipeline", 1, 3, False),
    ("Get-A | $x", "ExpressionsMustBeFirstInPipeline", 1, 9, False),
    ("(1 + 2", "MissingEndParenthesisInExpression", 1, 7, True),
    ("(1 2)", "MissingEndParenthesisInExpression", 1, 4, False),
    ("$(1", "MissingEndParenthesisInSubexpression", 1, 4, True),
    ("@(Get-A\n", "MissingEndParenthesisInSubexpression", 2, 1, True),
    ("$x.Foo(1", "MissingEndParenthesisInMethodCall", 1, 9, True),
    ("$x.Foo(1 2)", "MissingEndParenthesisInMethodCall", 1, 10, False),
    ("{ 1", "MissingEndCurlyBrace", 1, 1, True),
    ("if ($x) {\n 1\n", "MissingEndCurlyBrace", 1, 9, True),
    ("@{a=1\n", "MissingEndCurlyBrace", 1, 1, True),
    ("if $x { }", "MissingOpenParenthesisInIfStatement", 1, 4, False),
    ("if", "MissingOpenParenthesisInIfStatement", 1, 3, True),
    ("if ($x { }", "MissingEndParenthesisAfterStatement", 1, 8, False),
    ("if ($x", "MissingEndParenthesisAfterStatement", 1, 7, True),
    ("if ($x)", "MissingStatementBlock", 1, 8, True),
    ("if ($x)\n\n", "MissingStatementBlock", 3, 1, True),
    ("if ($x) 5", "MissingStatementBlock", 1, 9, False),
    ("if ($x) {} else", "MissingStatementBlockAfterElse", 1, 16, True),
    ("if ($x) {} else 5", "MissingStatementBlockAfterElse", 1, 17, False),
    ("foreach ($i 1..3) {}", "MissingInInForeach", 1, 13, False),
    ("@{a 1}", "MissingEqualsInHashLiteral", 1, 5, False),
    ("@{a=}", "MissingStatementInHashLiteral", 1, 5, False),
    ("@{a=", "MissingStatementInHashLiteral", 1, 5, True),
    ("@{a=1; A=2}", "DuplicateKeyInHashLiteral", 1, 8, False),
    ("@{'x'=1\n X = 2}", "DuplicateKeyInHashLiteral", 2, 2, False),
    ("$x = @p", "SplattingNotPermitted", 1, 6, False),
    ("1 = 2", "InvalidLeftHandSide", 1, 1, False),
    ("$x + 1 = 2", "InvalidLeftHandSide", 1, 1, False),
    ("$x = 0xFFFFy", "BadNumericConstant", 1, 6, False),
    ("1 + 5x", "BadNumericConstant", 1, 5, False),
    ("foreach { $_ }", "MissingOpenParenthesisAfterKeyword", 1, 9, False),
    ("Get-A 2> ", "MissingFileSpecification", 1, 10, False),
    ("Get-A < in.txt", "RedirectionNotSupported", 1, 7, False),
    ("try { 1 }", "MissingCatchOrFinally", 1, 10, True),
    ("$a[", "MissingArrayIndexExpression", 1, 4, True),
    ("$a[1", "MissingEndSquareBracket", 1, 5, True),
    ("Get-A &&", "MissingExpression", 1, 9, True),
    ("function { }", "MissingNameAfterKeyword", 1, 10, False),
]


@pytest.mark.parametrize(("text", "error_id", "line", "col", "incomplete"), ERROR_CASES)
def test_parse_error_id_position_and_incompleteness(
    text: str, error_id: str, line: int, col: int, incomplete: bool
) -> None:
    error = parse_error(text)
    assert (error.error_id, error.span.line, error.span.col, error.incomplete) == (
        error_id,
        line,
        col,
        incomplete,
    ), error.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("$x = 5 6", "Unexpected token '6' in expression or statement."),
        ("1 -foo 2", "Unexpected token '-foo' in expression or statement."),
        ("1 +", "You must provide a value expression following the '+' operator."),
        ("1 -EQ", "You must provide a value expression following the '-EQ' operator."),
        ("-not", "Missing expression after unary operator '-not'."),
        ("1,", "Missing expression after ','."),
        ("Write-Output a,,b", "Missing expression after ',' in pipeline element."),
        ("Set-Thing -Name:", "Parameter -Name: requires an argument."),
        ("Write-Output ,1", "Missing argument in parameter list."),
        ("Get-Foo |", "An empty pipe element is not allowed."),
        ("1|1", "Expressions are only allowed as the first element of a pipeline."),
        ("(1", "Missing closing ')' in expression."),
        ("$(1", "Missing closing ')' in subexpression."),
        ("$x.M(1", "Missing ')' in method call."),
        ("{", "Missing closing '}' in statement block or type definition."),
        ("if $x {}", "Missing '(' after 'if' in if statement."),
        ("if ($x) {} elseif $y {}", "Missing '(' after 'elseif' in if statement."),
        ("if ($x {}", "Missing closing ')' after expression in 'if' statement."),
        ("if ($x)", "Missing statement block after if ( condition )."),
        ("if ($x) {} elseif ($y)", "Missing statement block after elseif ( condition )."),
        ("if ($x) {} else", "Missing statement block after 'else' keyword."),
        (
            "foreach ($i 1) {}",
            "Missing 'in' after variable in foreach loop.\nThe correct form is: foreach ($a in $b) {...}",
        ),
        ("@{a 1}", "Missing '=' operator after key in hash literal."),
        ("@{a=}", "Missing statement after '=' in hash literal."),
        ("@{a=1; A=2}", "Duplicate keys 'A' are not allowed in hash literals."),
        (
            "$x = @p",
            (
                "The splatting operator '@' cannot be used to reference variables in an expression. '@p' can be "
                "used only as an argument to a command. To reference variables in an expression use '$p'."
            ),
        ),
        (
            "1 = 2",
            (
                "The assignment expression is not valid. The input to an assignment operator must be an object "
                "that is able to accept assignments, such as a variable or a property."
            ),
        ),
        ("$x = 0xFFFFy", "The numeric constant 0xFFFFy is not valid."),
        (
            "$x = $ + 1",
            (
                "Variable reference is not valid. '$' was not followed by a valid variable name character. "
                "Consider using ${} to delimit the name."
            ),
        ),
    ],
)
def test_parse_error_message_text_matches_powershell(text: str, message: str) -> None:
    assert parse_error(text).message == message


def test_parse_error_renders_to_an_error_record() -> None:
    record = parse_error("1|1").to_record()
    assert record.error_id == "ExpressionsMustBeFirstInPipeline"
    assert record.category == "ParserError"
    assert record.span is not None and record.span.text == "1"


def test_error_inside_string_subexpression_points_into_the_string() -> None:
    error = parse_error('Write-Output "a $(1 +) b"')
    assert error.error_id == "ExpectedValueExpression"
    assert (error.span.line, error.span.col) == (1, 22)


def test_complete_inputs_are_not_reported_incomplete() -> None:
    # the REPL continues a line only for `incomplete`; these must be final errors
    for text in ["1|1", "$x = 5 6", "@{a=1; a=2}", "Set-Thing -Name:", "if ($x) 5"]:
        assert parse_error(text).incomplete is False, text


@pytest.mark.parametrize(
    "text",
    [
        "{", "(", "@(", "@{", "$(", '"abc', "'abc", "@'\n", '@"\nx', "Get-A |", "Get-A |\n", "Get-A `",
        "if ($x)", "if ($x) {", "if ($x) {} else", "1 +", "1,", "Write-Output a,", "<# x", "foreach ($i in $x)",
        "function f {", "[int", "$a[", "$x.M(", "try {}", "do {}", "while ($x)", "$x =", "$x = @{\n a = 1\n",
        "Get-A -Filter { $_.Name -eq 'x' |", 'Write-Output "$(Get-A', "Get-A &&",
    ],
)  # fmt: skip
def test_open_constructs_are_incomplete_so_the_repl_continues(text: str) -> None:
    assert parse_error(text).incomplete is True


@pytest.mark.parametrize("text", ["1|1", ")", "}", "$x = 5 6", "Get-A | | B", "if ($x) 5", "@{a=1;a=2}"])
def test_closed_but_invalid_inputs_are_not_incomplete(text: str) -> None:
    assert parse_error(text).incomplete is False
