"""Keyword statements: if, foreach, for, while, do, try, flow control, function (Parser.cs IfStatementRule,
ForeachStatementRule, ...). Each rule is called with the parser positioned at its keyword token, which is
recognised only at the start of a statement (grammar.md §3 notes: after `|`, `foreach` is a command)."""

from __future__ import annotations

from collections.abc import Callable
from exshell.lang.ast import replace
from typing import TYPE_CHECKING

from exshell.lang import ast
from exshell.lang.tokens import MODE_ARG, MODE_EXPR, Kind, Token

if TYPE_CHECKING:
    from exshell.lang.parser import Parser


def _open_paren(p: Parser, keyword: Token) -> Token:
    if p.pos < keyword.end:  # switch has read its options already
        p.advance(keyword)
    p.skip_newlines()
    tok = p.peek(MODE_EXPR)
    if not tok.is_op("("):
        if keyword.text.lower() in ("if", "elseif"):
            p.fail(
                "MissingOpenParenthesisInIfStatement",
                f"Missing '(' after '{keyword.text}' in if statement.",
                tok,
            )
        p.fail(
            "MissingOpenParenthesisAfterKeyword",
            f"Missing opening '(' after keyword '{keyword.text}'.",
            tok,
        )
    p.advance(tok)
    p.skip_newlines()
    return tok


def _condition(p: Parser, keyword: Token) -> ast.Statement:
    """`( pipeline )` after if/elseif/while/until/switch."""
    _open_paren(p, keyword)
    tok = p.peek(MODE_ARG)
    if p.ends_element(tok):
        if tok.kind == Kind.EOF:
            p.fail(
                "MissingEndParenthesisAfterStatement",
                f"Missing closing ')' after expression in '{keyword.text}' statement.",
                tok,
            )
        p.fail(
            "IfStatementMissingCondition"
            if keyword.text.lower() in ("if", "elseif")
            else "MissingExpressionAfterKeyword",
            f"Missing condition in {keyword.text.lower()} statement after '{keyword.text} ('.",
            tok,
        )
    cond = p._nested(p.parse_pipeline_chain)
    p.skip_newlines()
    close = p.peek(MODE_EXPR)
    if not close.is_op(")"):
        p.fail(
            "MissingEndParenthesisAfterStatement",
            f"Missing closing ')' after expression in '{keyword.text}' statement.",
            close,
        )
    p.advance(close)
    return cond


def parse_if(p: Parser, keyword: Token) -> ast.Statement:
    clauses: list[ast.IfClause] = []
    else_body: ast.StatementBlock | None = None
    kw = keyword
    while True:
        cond = _condition(p, kw)
        p.skip_newlines()
        body = p.parse_statement_block(
            "MissingStatementBlock", f"Missing statement block after {kw.text} ( condition )."
        )
        clauses.append(ast.IfClause(p.span(kw.start, body.span.end), cond, body))
        # else/elseif may follow on later lines (the parser skips newlines to look for them)
        save = p.pos
        p.skip_newlines()
        nxt = p.peek(MODE_ARG)
        if p._is_keyword(nxt, "elseif"):
            kw = nxt
            continue
        if p._is_keyword(nxt, "else"):
            p.advance(nxt)
            p.skip_newlines()
            else_body = p.parse_statement_block(
                "MissingStatementBlockAfterElse", "Missing statement block after 'else' keyword."
            )
            break
        p.pos = save
        break
    end = else_body.span.end if else_body is not None else clauses[-1].span.end
    return ast.IfStatement(p.span(keyword.start, end), tuple(clauses), else_body)


def parse_foreach(p: Parser, keyword: Token) -> ast.Statement:
    _open_paren(p, keyword)
    var = p.peek(MODE_EXPR)
    if var.kind != Kind.VARIABLE or var.extra:
        p.fail("MissingVariableNameAfterForeach", "Missing variable name after foreach.", var)
    p.advance(var)
    p.skip_newlines()
    in_tok = p.peek(MODE_ARG)
    if not p._is_keyword(in_tok, "in"):
        p.fail(
            "MissingInInForeach",
            "Missing 'in' after variable in foreach loop.\nThe correct form is: foreach ($a in $b) {...}",
            in_tok,
        )
    p.advance(in_tok)
    p.skip_newlines()
    tok = p.peek(MODE_ARG)
    if p.ends_element(tok):
        p.fail("MissingForeachExpression", "Missing expression after 'in' in foreach loop.", tok)
    iterable = p._nested(p.parse_pipeline_chain)
    p.skip_newlines()
    close = p.peek(MODE_EXPR)
    if not close.is_op(")"):
        p.fail(
            "MissingEndParenthesisAfterForeach",
            "Missing closing ')' after expression in 'foreach' statement.",
            close,
        )
    p.advance(close)
    p.skip_newlines()
    body = p.parse_statement_block("MissingForeachStatement", "Missing statement body in foreach loop.")
    return ast.ForeachStatement(p.span(keyword.start, body.span.end), var.value, iterable, body)


def parse_for(p: Parser, keyword: Token) -> ast.Statement:
    _open_paren(p, keyword)
    parts: list[ast.Statement | None] = []
    for index in range(3):
        p.skip_newlines()
        tok = p.peek(MODE_ARG)
        if p.ends_element(tok) and tok.kind != Kind.EOF:
            parts.append(None)
        elif tok.kind == Kind.EOF:
            p.fail(
                "MissingEndParenthesisAfterStatement",
                "Missing closing ')' after expression in 'for' statement.",
                tok,
            )
        else:
            parts.append(p._nested(p.parse_pipeline_chain))
        p.skip_newlines()
        sep = p.peek(MODE_EXPR)
        if index < 2 and sep.is_op(";"):
            p.advance(sep)
            continue
        if sep.is_op(")"):
            while len(parts) < 3:
                parts.append(None)
            break
        p.fail(
            "MissingEndParenthesisAfterStatement",
            "Missing closing ')' after expression in 'for' statement.",
            sep,
        )
    close = p.peek(MODE_EXPR)
    if not close.is_op(")"):
        p.fail(
            "MissingEndParenthesisAfterStatement",
            "Missing closing ')' after expression in 'for' statement.",
            close,
        )
    p.advance(close)
    p.skip_newlines()
    body = p.parse_statement_block("MissingLoopStatement", "Missing statement body in for loop.")
    return ast.ForStatement(p.span(keyword.start, body.span.end), parts[0], parts[1], parts[2], body)


def parse_while(p: Parser, keyword: Token) -> ast.Statement:
    cond = _condition(p, keyword)
    p.skip_newlines()
    body = p.parse_statement_block("MissingLoopStatement", "Missing statement body in while loop.")
    return ast.WhileStatement(p.span(keyword.start, body.span.end), cond, body)


def parse_do(p: Parser, keyword: Token) -> ast.Statement:
    p.advance(keyword)
    p.skip_newlines()
    body = p.parse_statement_block("MissingLoopStatement", "Missing statement body in do loop.")
    p.skip_newlines()
    kw = p.peek(MODE_ARG)
    if not (p._is_keyword(kw, "while") or p._is_keyword(kw, "until")):
        p.fail("MissingWhileOrUntilInDoWhile", "Missing while or until keyword in do loop.", kw)
    cond = _condition(p, kw)
    until = kw.text.lower() == "until"
    return ast.WhileStatement(p.span(keyword.start, p.pos), cond, body, do_loop=True, until=until)


def parse_try(p: Parser, keyword: Token) -> ast.Statement:
    p.advance(keyword)
    p.skip_newlines()
    body = p.parse_statement_block("MissingTryStatementBlock", "Missing statement block after 'try'.")
    catches: list[ast.CatchClause] = []
    finally_body: ast.StatementBlock | None = None
    while True:
        save = p.pos
        p.skip_newlines()
        tok = p.peek(MODE_ARG)
        if p._is_keyword(tok, "catch"):
            p.advance(tok)
            types: list[str] = []
            while True:
                p.skip_newlines()
                t = p.peek(MODE_EXPR)
                if t.kind != Kind.TYPE:
                    break
                p.advance(t)
                types.append(t.value)
                p.skip_newlines()
                if not p.next_if(","):
                    break
            p.skip_newlines()
            block = p.parse_statement_block(
                "MissingCatchHandlerBlock", "Missing statement block in catch handler."
            )
            catches.append(ast.CatchClause(p.span(tok.start, block.span.end), tuple(types), block))
            continue
        if p._is_keyword(tok, "finally"):
            p.advance(tok)
            p.skip_newlines()
            finally_body = p.parse_statement_block(
                "MissingFinallyStatementBlock", "Missing statement block after 'finally'."
            )
            break
        p.pos = save
        break
    if not catches and finally_body is None:
        p.fail("MissingCatchOrFinally", "Missing catch or finally block.", p.peek(MODE_ARG))
    return ast.TryStatement(p.span(keyword.start, p.pos), body, tuple(catches), finally_body)


_SWITCH_OPTIONS = ("regex", "wildcard", "exact", "casesensitive", "file")


def parse_switch(p: Parser, keyword: Token) -> ast.Statement:
    """switch [-Regex|-Wildcard|-Exact] [-CaseSensitive] [-File path | ( pipeline )] { clause... }
    (about_Switch). An option may be abbreviated to any unique prefix; of -Regex/-Wildcard/-Exact the last
    one given wins."""
    p.advance(keyword)
    mode = "exact"
    case_sensitive = False
    file: ast.Expr | None = None
    while True:
        p.skip_newlines()
        tok = p.peek(MODE_ARG)
        if tok.kind != Kind.PARAMETER:
            break
        name = str(tok.value).lower()
        matches = [o for o in _SWITCH_OPTIONS if o.startswith(name)] if name else []
        if len(matches) != 1:
            p.fail("InvalidSwitchFlag", f"'-{tok.value}' is not a valid switch statement parameter.", tok)
        p.advance(tok)
        option = matches[0]
        if option == "casesensitive":
            case_sensitive = True
        elif option == "file":
            p.skip_newlines()
            path_tok = p.peek(MODE_ARG)
            if p.ends_element(path_tok) or path_tok.is_op("{"):
                p.fail("MissingFileSpecification", "Missing file specification after the -File parameter.",
                       path_tok)
            file = p.parse_argument()
        else:
            mode = option
    value: ast.Statement | None = None
    if file is None:
        value = _condition(p, keyword)
    p.skip_newlines()
    open_tok = p.peek(MODE_EXPR)
    if not open_tok.is_op("{"):
        p.fail("MissingCurlyBraceInSwitchStatement", "Missing '{' in switch statement.", open_tok)
    p.advance(open_tok)
    clauses: list[ast.SwitchClause] = []
    default: ast.StatementBlock | None = None
    while True:
        p.skip_separators()
        tok = p.peek(MODE_ARG)
        if tok.is_op("}"):
            break
        if tok.kind == Kind.EOF:
            p.fail_at("MissingEndCurlyBrace", "Missing closing '}' in statement block or type definition.",
                      p.tok_span(open_tok), True)
        if p.ends_element(tok) or tok.kind == Kind.PARAMETER:
            p.fail("MissingSwitchConditionExpression", "Missing condition in switch statement clause.", tok)
        is_default = tok.kind == Kind.GENERIC and tok.extra and tok.text.lower() == "default"
        condition = p._nested(p.parse_argument)
        p.skip_newlines()
        body = p.parse_statement_block(
            "MissingSwitchStatementClause", "Missing statement block in switch statement clause."
        )
        if is_default:
            if default is not None:
                p.fail_at("MultipleSwitchDefaultClauses",
                          "The switch statement can have only one default clause.", condition.span)
            default = body
        else:
            clauses.append(ast.SwitchClause(condition.span.to(body.span), condition, body))
    close = p.peek(MODE_EXPR)
    if not clauses and default is None:
        p.fail("MissingSwitchConditionExpression", "Missing condition in switch statement clause.", close)
    p.advance(close)
    return ast.SwitchStatement(p.span(keyword.start, close.end), value, tuple(clauses), default, mode,
                               case_sensitive, file)


def _flow(kind: str) -> Callable[[Parser, Token], ast.Statement]:
    def rule(p: Parser, keyword: Token) -> ast.Statement:
        p.advance(keyword)
        nxt = p.peek(MODE_ARG)
        if p.ends_element(nxt):
            return ast.FlowControl(p.tok_span(keyword), kind)
        value: ast.Statement
        if kind in ("break", "continue") and nxt.kind == Kind.GENERIC:
            p.advance(nxt)
            label = ast.CommandExpression(nxt.value.span, nxt.value)
            value = ast.Pipeline(nxt.value.span, (label,))
        else:
            value = p.parse_pipeline_chain()
        return ast.FlowControl(p.tok_span(keyword).to(value.span), kind, value)

    return rule


def parse_function(p: Parser, keyword: Token) -> ast.Statement:
    p.advance(keyword)
    name_tok = p.peek(MODE_ARG)
    if name_tok.kind not in (Kind.GENERIC, Kind.STRING, Kind.PARAMETER, Kind.NUMBER):
        p.fail("MissingNameAfterKeyword", f"Missing name after {keyword.text.lower()} keyword.", name_tok)
    p.advance(name_tok)
    name = (
        name_tok.value.value
        if name_tok.kind == Kind.STRING and hasattr(name_tok.value, "value")
        else name_tok.text
    )
    p.skip_newlines()
    params: tuple[ast.ParamDecl, ...] = ()
    paren = p.peek(MODE_EXPR)
    if paren.is_op("("):
        p.advance(paren)
        params = p.parse_param_list(paren)
        p.skip_newlines()
    open_tok = p.peek(MODE_EXPR)
    if not open_tok.is_op("{"):
        p.fail("MissingFunctionBody", "Missing function body in function declaration.", open_tok)
    block_expr = p.parse_script_block_literal(open_tok)
    body = block_expr.block
    if keyword.text.lower() == "filter" and body.process is None and body.begin is None and body.end is None:
        # a filter's body runs once per pipeline object, as a process block (about_Functions)
        body = replace(body, process=body.body, body=ast.StatementBlock(body.body.span, ()))
    if params:
        body = replace(body, params=params)
    else:
        params = body.params
    return ast.FunctionDefinition(p.span(keyword.start, body.span.end), name, params, body)


KEYWORD_RULES: dict[str, Callable[[Parser, Token], ast.Statement]] = {
    "if": parse_if,
    "foreach": parse_foreach,
    "switch": parse_switch,
    "for": parse_for,
    "while": parse_while,
    "do": parse_do,
    "try": parse_try,
    "function": parse_function,
    "filter": parse_function,
    "return": _flow("return"),
    "break": _flow("break"),
    "continue": _flow("continue"),
    "throw": _flow("throw"),
    "exit": _flow("exit"),
}
