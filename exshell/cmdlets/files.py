"""File and text-conversion cmdlets: Out-File, Get-Content, Set-Content, Add-Content, Import-Csv, Export-Csv,
ConvertTo-Csv, ConvertFrom-Csv, ConvertTo-Json, ConvertFrom-Json (output.md §5.8–§5.11; PowerShell 7 defaults:
UTF-8 without BOM, no #TYPE line, every CSV field quoted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.errors import Category
from exshell.output.render import format_objects, FormatRecord
from exshell.runtime.values import to_string, enumerate_value
from exshell.runtime.wildcard import has_wildcards

ENCODING = T.enum(
    "System.Text.Encoding",
    ("ASCII", "BigEndianUnicode", "BigEndianUTF32", "OEM", "Unicode", "UTF7", "UTF8", "UTF8BOM", "UTF8NoBOM",
     "UTF32", "Default", "Latin1"),
    display="Encoding",
)
QUOTE_KIND = T.enum("Microsoft.PowerShell.Commands.BaseCsvWritingCommand+QuoteKind", ("Never", "Always", "AsNeeded"),
                    display="QuoteKind")


def _text(v: Any) -> str:
    return to_string(v)


def _host_width(cmdlet: Cmdlet) -> int:
    width = getattr(cmdlet.runtime.host, "width", 120)
    return width if isinstance(width, int) and width > 0 else 120


def _not_found(cmdlet: Cmdlet, path: str) -> None:
    cmdlet.write_error(
        f"Cannot find path '{path}' because it does not exist.",
        "PathNotFound",
        Category.ObjectNotFound,
        target=path,
        exception_type="ItemNotFoundException",
    )


def _resolve_existing(cmdlet: Cmdlet, patterns: list[str], literal: bool = False) -> list[Path]:
    """Paths that exist; wildcards expand (sorted, as the FileSystem provider lists them)."""
    from exshell.output.textfile import resolve_path  # lazy: only this command's formatting uses it

    out: list[Path] = []
    for text in patterns:
        p = resolve_path(text)
        if not literal and has_wildcards(p.name):
            hits = sorted(p.parent.glob(p.name)) if p.parent.is_dir() else []
            hits = [h for h in hits if h.is_file()]
            if not hits:
                _not_found(cmdlet, str(p))
            out.extend(hits)
            continue
        if not p.exists():
            _not_found(cmdlet, str(p))
            continue
        out.append(p)
    return out


def _write_failed(cmdlet: Cmdlet, path: Path, err: OSError) -> None:
    reason = err.strerror or str(err)
    cmdlet.throw_terminating(
        f"Could not write to '{path}': {reason}.", "FileOpenFailure", Category.WriteError, target=str(path),
        exception_type="IOException",
    )


def _check_writable(cmdlet: Cmdlet, path: Path, no_clobber: bool, append: bool) -> bool:
    if no_clobber and not append and path.exists():
        cmdlet.throw_terminating(
            f"The file '{path}' already exists.", "NoClobber", Category.ResourceExists, target=str(path),
            exception_type="IOException",
        )
        return False
    if not path.parent.is_dir():
        cmdlet.throw_terminating(
            f"Could not find a part of the path '{path}'.", "FileOpenFailure", Category.WriteError, target=str(path),
            exception_type="DirectoryNotFoundException",
        )
        return False
    return True


# --------------------------------------------------------------------------- Out-File


class OutFile(Cmdlet):
    name = "Out-File"
    synopsis = "Sends output to a file."
    description = (
        "Writes the same formatted text the console would show to a file (UTF-8 without BOM by default); "
        "-Width sets the line width used for tables."
    )
    error_source = "Microsoft.PowerShell.Commands.OutFileCommand"
    supports_should_process = True
    confirm_impact = "Low"
    parameters = (
        Parameter("FilePath", T.STRING, position=0, mandatory=True, aliases=("Path",), completer="path",
                  help="The file to write."),
        Parameter("Encoding", ENCODING, position=1, help="The text encoding (default UTF8NoBOM)."),
        Parameter("Append", T.SWITCH, help="Adds to the end of the file."),
        Parameter("Force", T.SWITCH, help="Overwrites a read-only file."),
        Parameter("NoClobber", T.SWITCH, aliases=("NoOverwrite",), help="Fails instead of overwriting a file."),
        Parameter("Width", T.INT, help="Characters per line (default: the host width)."),
        Parameter("NoNewline", T.SWITCH, help="Writes no newline characters."),
        Parameter("InputObject", T.PSOBJECT, pipeline=True, help="The objects to write."),
    )
    examples = (Example("Get-ReceiveConnector | Out-File connectors.txt", "Saves the table as text."),)

    def begin(self) -> None:
        self._items: list[Any] = []

    def process(self) -> None:
        if not self.runtime.expecting_input and not self.params.is_bound("InputObject"):
            return
        self._items.append(self.params.get("InputObject"))

    def end(self) -> None:
        # Lazy: only this command's formatting uses it.
        from exshell.output.textfile import resolve_path, write_text

        path = resolve_path(self.params["FilePath"])
        append = bool(self.params.get("Append"))
        if not _check_writable(self, path, bool(self.params.get("NoClobber")), append):
            return
        if not self.should_process(str(path), "Output to File"):
            return
        width = self.params["Width"] if self.params.is_bound("Width") else _host_width(self)
        # Lazy: another cmdlet module, loaded when its command runs.
        from exshell.cmdlets.format import enumeration_limit_of

        lines = format_objects(self._items, width, enumeration_limit_of(self))
        text = "".join(lines) if self.params.get("NoNewline") else "".join(line + "\n" for line in lines)
        try:
            write_text(path, text, self.params.get("Encoding"), append)
        except OSError as e:
            _write_failed(self, path, e)


# --------------------------------------------------------------------------- Get-Content / Set-Content / Add-Content


class GetContent(Cmdlet):
    name = "Get-Content"
    aliases = ("gc", "cat", "type")
    synopsis = "Gets the content of the item at the specified location."
    description = "Outputs a text file one line at a time (or as one string with -Raw)."
    error_source = "Microsoft.PowerShell.Commands.GetContentCommand"
    default_set = "Path"
    parameters = (
        Parameter("Path", T.STRINGS, position=0, mandatory=True, by_property_name=True, sets=("Path",),
                  completer="path", help="The file(s) to read; wildcards allowed."),
        Parameter("LiteralPath", T.STRINGS, mandatory=True, by_property_name=True, sets=("LiteralPath",),
                  aliases=("PSPath", "LP"), completer="path", help="The file to read, taken literally."),
        Parameter("Raw", T.SWITCH, help="Returns the whole file as one string, newlines kept."),
        Parameter("TotalCount", T.LONG, aliases=("First", "Head"), help="Reads only the first N lines."),
        Parameter("Tail", T.INT, aliases=("Last",), help="Reads only the last N lines."),
        Parameter("Encoding", ENCODING, help="The text encoding (a BOM in the file wins)."),
        Parameter("ReadCount", T.LONG, help="Accepted for compatibility."),
        Parameter("Delimiter", T.STRING, help="Splits the file at this text instead of at newlines."),
    )
    examples = (
        Example("Get-Content notes.txt", "Each line of the file."),
        Example("Get-Content big.log -Tail 10", "The last ten lines."),
    )

    def process(self) -> None:
        from exshell.output.textfile import read_text  # lazy: only this command's formatting uses it

        literal = self.params.is_bound("LiteralPath")
        patterns = list(self.params["LiteralPath"] if literal else self.params["Path"])
        for path in _resolve_existing(self, patterns, literal):
            if path.is_dir():
                self.write_error(
                    f"Unable to get content because it is a directory: '{path}'. Please use 'Get-ChildItem' "
                    "instead.", "GetContentReaderUnauthorizedAccessError", Category.PermissionDenied,
                    target=str(path),
                )
                continue
            try:
                text = read_text(path, self.params.get("Encoding"))
            except OSError as e:
                self.write_error(str(e.strerror or e), "GetContentReaderIOError", Category.ReadError,
                                 target=str(path))
                continue
            if self.params.get("Raw"):
                self.write_object(text)
                continue
            delim = self.params.get("Delimiter")
            if delim:
                parts = text.split(delim)
                lines = [p + delim for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
            elif delim is not None:  # an empty delimiter splits nothing: the file is one string
                lines = [text]
            else:
                lines = text.splitlines()
            if self.params.is_bound("TotalCount") and self.params["TotalCount"] >= 0:
                lines = lines[: self.params["TotalCount"]]
            if self.params.is_bound("Tail") and self.params["Tail"] >= 0:
                n = self.params["Tail"]
                lines = lines[len(lines) - n :] if n else []
            for line in lines:
                self.write_object(line)


class _ContentWriter(Cmdlet):
    append = False
    parameters = (
        Parameter("Path", T.STRINGS, position=0, mandatory=True, by_property_name=True, sets=("Path",),
                  completer="path", help="The file(s) to write."),
        Parameter("LiteralPath", T.STRINGS, mandatory=True, by_property_name=True, sets=("LiteralPath",),
                  aliases=("PSPath", "LP"), completer="path", help="The file to write, taken literally."),
        Parameter("Value", T.OBJECTS, position=1, mandatory=True, pipeline=True, by_property_name=True,
                  allow_null=True, allow_empty=True, help="The content: each object becomes one line."),
        Parameter("Encoding", ENCODING, help="The text encoding (default UTF8NoBOM)."),
        Parameter("NoNewline", T.SWITCH, help="Writes the values without newlines between them."),
        Parameter("PassThru", T.SWITCH, help="Outputs the written values."),
        Parameter("Force", T.SWITCH, help="Writes even to a read-only file."),
    )
    supports_should_process = True
    confirm_impact = "Medium"

    def begin(self) -> None:
        self._values: list[Any] = []

    def process(self) -> None:
        value = self.params.get("Value")
        items = enumerate_value(value)
        self._values.extend(items if items is not None else [value])

    def end(self) -> None:
        # Lazy: only this command's formatting uses it.
        from exshell.output.textfile import resolve_path, write_text

        literal = self.params.is_bound("LiteralPath")
        targets = list(self.params["LiteralPath"] if literal else self.params["Path"])
        if self.params.get("NoNewline"):
            text = "".join(_text(v) for v in self._values)
        else:
            text = "".join(_text(v) + "\n" for v in self._values)
        for target in targets:
            path = resolve_path(target)
            if not path.parent.is_dir():
                self.write_error(
                    f"Could not find a part of the path '{path}'.", "GetContentWriterDirectoryNotFoundError",
                    Category.ObjectNotFound, target=str(path), exception_type="DirectoryNotFoundException",
                )
                continue
            action = "Add Content" if self.append else "Set Content"
            if not self.should_process(f"Path: {path}", action):
                continue
            try:
                write_text(path, text, self.params.get("Encoding"), self.append)
            except OSError as e:
                self.write_error(f"Could not write to '{path}': {e.strerror or e}.", "WriteError",
                                 Category.WriteError, target=str(path))
                continue
        if self.params.get("PassThru"):
            for v in self._values:
                self.write_object(v)


class SetContent(_ContentWriter):
    name = "Set-Content"
    synopsis = "Writes new content or replaces existing content in a file."
    description = "Replaces the file's content with the values, one per line (UTF-8 without BOM by default)."
    error_source = "Microsoft.PowerShell.Commands.SetContentCommand"
    default_set = "Path"
    examples = (Example("Set-Content notes.txt 'first line'", "Replaces the file with one line."),)


class AddContent(_ContentWriter):
    name = "Add-Content"
    synopsis = "Adds content to the specified items, such as adding words to a file."
    description = "Appends the values to the file, one per line (the file is created when missing)."
    error_source = "Microsoft.PowerShell.Commands.AddContentCommand"
    default_set = "Path"
    append = True
    examples = (Example("Add-Content notes.txt 'another line'", "Appends one line."),)


# --------------------------------------------------------------------------- CSV


class _CsvReader(Cmdlet):
    def objects_from(self, text: str) -> None:
        # Lazy: only this command's formatting uses it.
        from exshell.output.csvtext import MISSING_HEADER_WARNING, CsvError, records_to_objects

        header = list(self.params["Header"]) if self.params.get("Header") is not None else None
        delimiter = self._delimiter()
        try:
            objects, warned = records_to_objects(text, delimiter, header)
        except CsvError as e:
            self.throw_terminating(e.message, e.error_id, Category.InvalidOperation,
                                   exception_type="ExtendedTypeSystemException")
            return
        if warned:
            self.write_warning(MISSING_HEADER_WARNING)
        for obj in objects:
            self.write_object(obj)

    def _delimiter(self) -> str:
        if self.params.is_bound("Delimiter"):
            d = _text(self.params["Delimiter"])
            return d[:1] or ","
        return ","  # -UseCulture: the en-US list separator is also ','


class ImportCsv(_CsvReader):
    name = "Import-Csv"
    aliases = ("ipcsv",)
    synopsis = "Creates table-like custom objects from the items in a character-separated value (CSV) file."
    description = (
        "Reads a CSV file: the first line is the header (unless -Header), every later record becomes an object "
        "with one string property per column."
    )
    error_source = "Microsoft.PowerShell.Commands.ImportCsvCommand"
    default_set = "DelimiterPath"
    parameters = (
        Parameter("Path", T.STRINGS, position=0, pipeline=True, by_property_name=True, completer="path",
                  help="The CSV file(s) to read."),
        Parameter("LiteralPath", T.STRINGS, by_property_name=True, aliases=("PSPath", "LP"), completer="path",
                  help="The CSV file, taken literally."),
        Parameter("Delimiter", T.STRING, position=1, help="The field separator (default ',')."),
        Parameter("UseCulture", T.SWITCH, help="Uses the culture's list separator (',' for en-US)."),
        Parameter("Header", T.STRINGS, help="Column names; the file's first line is then data."),
        Parameter("Encoding", ENCODING, help="The text encoding (a BOM in the file wins)."),
    )
    examples = (Example("Import-Csv relays.csv | New-ReceiveConnector ...", "Creates objects from a CSV file."),)

    def process(self) -> None:
        from exshell.output.textfile import read_text  # lazy: only this command's formatting uses it

        literal = self.params.is_bound("LiteralPath")
        patterns = list((self.params.get("LiteralPath") if literal else self.params.get("Path")) or [])
        if not patterns:
            self.throw_terminating("Cannot process command because of one or more missing mandatory parameters: "
                                   "Path.", "MissingMandatoryParameter", Category.InvalidArgument,
                                   exception_type="ParameterBindingException")
            return
        for path in _resolve_existing(self, patterns, literal):
            try:
                text = read_text(path, self.params.get("Encoding"))
            except OSError as e:  # a folder, a file without read permission
                self.write_error(str(e.strerror or e), "ReadError", Category.ReadError, target=str(path),
                                 exception_type="IOException")
                continue
            self.objects_from(text)


class ConvertFromCsv(_CsvReader):
    name = "ConvertFrom-Csv"
    synopsis = "Converts object properties in character-separated value (CSV) format into CSV versions of the originals."
    description = "Parses CSV text (strings from the pipeline) into objects, by the same rules as Import-Csv."
    error_source = "Microsoft.PowerShell.Commands.ConvertFromCsvCommand"
    parameters = (
        Parameter("InputObject", T.PSOBJECT.of_array("System.Management.Automation.PSObject[]"), position=0,
                  mandatory=True, pipeline=True, by_property_name=True, help="The CSV text."),
        Parameter("Delimiter", T.STRING, position=1, help="The field separator (default ',')."),
        Parameter("UseCulture", T.SWITCH, help="Uses the culture's list separator (',' for en-US)."),
        Parameter("Header", T.STRINGS, help="Column names; the first line is then data."),
    )
    examples = (Example("'a,b','1,2' | ConvertFrom-Csv", "One object with a=1, b=2."),)

    def begin(self) -> None:
        self._lines: list[str] = []

    def process(self) -> None:
        value = self.params.get("InputObject")
        items = enumerate_value(value)
        for item in items if items is not None else [value]:
            if item is not None:
                self._lines.append(_text(item))

    def end(self) -> None:
        if self._lines:
            self.objects_from("\n".join(self._lines))


_CSV_WRITE_PARAMS = (
    Parameter("InputObject", T.PSOBJECT, mandatory=True, pipeline=True, help="The objects to convert."),
    Parameter("Delimiter", T.STRING, help="The field separator (default ',')."),
    Parameter("UseCulture", T.SWITCH, help="Uses the culture's list separator (',' for en-US)."),
    Parameter("NoTypeInformation", T.SWITCH, aliases=("NTI",), help="Accepted for compatibility (the default)."),
    Parameter("IncludeTypeInformation", T.SWITCH, aliases=("ITI",), help="Writes a first line `#TYPE <type>`."),
    Parameter("UseQuotes", QUOTE_KIND, aliases=("UQ",), help="Always (default), AsNeeded or Never."),
    Parameter("QuoteFields", T.STRINGS, aliases=("QF",), help="Quotes only these columns."),
    Parameter("NoHeader", T.SWITCH, help="Omits the header line."),
)


class _CsvWriter(Cmdlet):
    def begin(self) -> None:
        self._items: list[Any] = []

    def process(self) -> None:
        obj = self.params.get("InputObject")
        if obj is None:
            return

        if isinstance(obj, FormatRecord):
            self.throw_terminating(
                "The object of type \"Microsoft.PowerShell.Commands.Internal.Format.FormatStartData\" is not "
                "valid or not in the correct sequence. This is likely caused by a user-specified \"format-*\" "
                "command which is conflicting with the default formatting.",
                "FormatObjectDeserializerInvalidInput", Category.InvalidData,
            )
        self._items.append(obj)

    def lines(self, columns: list[str] | None = None, no_header: bool = False) -> list[str]:
        from exshell.output.csvtext import csv_lines  # lazy: only this command's formatting uses it

        delimiter = _text(self.params["Delimiter"])[:1] if self.params.is_bound("Delimiter") else ","
        quotes = _text(self.params["UseQuotes"]) if self.params.is_bound("UseQuotes") else "Always"
        return csv_lines(
            self._items,
            delimiter or ",",
            quotes,
            list(self.params.get("QuoteFields") or []) or None,
            include_type=bool(self.params.get("IncludeTypeInformation")),
            no_header=no_header or bool(self.params.get("NoHeader")),
            columns=columns,
        )


class ConvertToCsv(_CsvWriter):
    name = "ConvertTo-Csv"
    synopsis = "Converts .NET objects into a series of character-separated value (CSV) strings."
    description = "Outputs a header line and one CSV line per object (columns = the first object's properties)."
    error_source = "Microsoft.PowerShell.Commands.ConvertToCsvCommand"
    parameters = _CSV_WRITE_PARAMS
    examples = (Example("Get-AcceptedDomain | ConvertTo-Csv", "CSV text of the accepted domains."),)

    def end(self) -> None:
        for line in self.lines():
            self.write_object(line)


class ExportCsv(_CsvWriter):
    name = "Export-Csv"
    aliases = ("epcsv",)
    synopsis = "Converts objects into a series of character-separated value (CSV) strings and saves them in a file."
    description = (
        "Writes a header line and one CSV line per object to a file (UTF-8 without BOM; every field quoted). "
        "With -Append the existing file's columns are used."
    )
    error_source = "Microsoft.PowerShell.Commands.ExportCsvCommand"
    supports_should_process = True
    confirm_impact = "Low"
    parameters = (
        Parameter("Path", T.STRING, position=0, aliases=("FilePath",), completer="path", help="The file to write."),
        Parameter("LiteralPath", T.STRING, aliases=("PSPath", "LP"), completer="path",
                  help="The file to write, taken literally."),
        Parameter("Append", T.SWITCH, help="Adds the rows to the end of an existing file."),
        Parameter("Force", T.SWITCH, help="Overwrites read-only files; with -Append allows different columns."),
        Parameter("NoClobber", T.SWITCH, aliases=("NoOverwrite",), help="Fails instead of overwriting a file."),
        Parameter("Encoding", ENCODING, help="The text encoding (default UTF8NoBOM)."),
        *_CSV_WRITE_PARAMS,
    )
    examples = (Example("Get-ReceiveConnector | Select Identity,Enabled | Export-Csv rc.csv", "Saves two columns."),)

    def end(self) -> None:
        # Lazy: only this command's formatting uses it.
        from exshell.output.csvtext import parse_records, split_preamble
        from exshell.output.textfile import read_text, resolve_path, write_text

        target = self.params.get("LiteralPath") or self.params.get("Path")
        if not target:
            self.throw_terminating("Cannot process command because of one or more missing mandatory parameters: "
                                   "Path.", "MissingMandatoryParameter", Category.InvalidArgument,
                                   exception_type="ParameterBindingException")
            return
        path = resolve_path(target)
        append = bool(self.params.get("Append"))
        if not _check_writable(self, path, bool(self.params.get("NoClobber")), append):
            return
        if not self._items:
            return
        columns = None
        no_header = False
        if append and path.exists() and path.stat().st_size > 0:
            # Export-Csv -Append keeps the file's own columns and writes no second header.
            _type, _fields, body = split_preamble(read_text(path))
            delimiter = _text(self.params["Delimiter"])[:1] if self.params.is_bound("Delimiter") else ","
            records = parse_records(body.split("\n", 1)[0], delimiter or ",")
            if records:
                columns = records[0]
                no_header = True
        if not self.should_process(str(path), "Export-Csv"):
            return
        lines = self.lines(columns, no_header)
        if no_header:
            lines = [ln for ln in lines if not ln.startswith("#TYPE ")]
        try:
            write_text(path, "".join(line + "\n" for line in lines), self.params.get("Encoding"), append)
        except OSError as e:
            _write_failed(self, path, e)


# --------------------------------------------------------------------------- JSON


def _validate_depth(value: int) -> None:
    # [ValidateRange(0, 100)] on ConvertTo-Json -Depth.
    if value > 100:
        raise ValueError(f"The {value} argument is greater than the maximum allowed range of 100. Supply an "
                         "argument that is less than or equal to 100 and then try the command again.")
    if value < 0:
        raise ValueError(f"The {value} argument is less than the minimum allowed range of 0. Supply an argument "
                         "that is greater than or equal to 0 and then try the command again.")


class ConvertToJson(Cmdlet):
    name = "ConvertTo-Json"
    synopsis = "Converts an object to a JSON-formatted string."
    description = (
        "Serializes objects to JSON (PowerShell 7 layout). Levels deeper than -Depth (default 2) are replaced "
        "by their text, with a warning. Several pipeline objects become a JSON array."
    )
    error_source = "Microsoft.PowerShell.Commands.ConvertToJsonCommand"
    output_type = "System.String"
    parameters = (
        Parameter("InputObject", T.OBJECT, position=0, mandatory=True, pipeline=True, allow_null=True,
                  help="The object to convert."),
        Parameter("Depth", T.INT, help="How many levels of contained objects are included (default 2, max 100).",
                  validate=_validate_depth),
        Parameter("Compress", T.SWITCH, help="Omits white space and indentation."),
        Parameter("EnumsAsStrings", T.SWITCH, help="Writes enum values by name instead of number."),
        Parameter("AsArray", T.SWITCH, help="Always outputs a JSON array."),
        Parameter("EscapeHandling", T.enum("Newtonsoft.Json.StringEscapeHandling",
                                           ("Default", "EscapeNonAscii", "EscapeHtml")),
                  help="Accepted for compatibility."),
    )
    examples = (
        Example("Get-ReceiveConnector Relay | ConvertTo-Json", "The connector as JSON."),
        Example("@{a=1} | ConvertTo-Json -Compress", '{"a":1}'),
    )

    def begin(self) -> None:
        self._items: list[Any] = []

    def process(self) -> None:
        self._items.append(self.params.get("InputObject"))

    def end(self) -> None:
        from exshell.output.jsontext import JsonWriter  # lazy: only this command's formatting uses it

        if not self._items:
            return
        depth = self.params["Depth"] if self.params.is_bound("Depth") else 2
        writer = JsonWriter(depth, bool(self.params.get("Compress")), bool(self.params.get("EnumsAsStrings")))
        value: Any = self._items[0] if len(self._items) == 1 and not self.params.get("AsArray") else list(self._items)
        if len(self._items) == 1 and self.params.get("AsArray"):
            inner = enumerate_value(self._items[0])
            value = inner if inner is not None else [self._items[0]]
        text = writer.dumps(value)
        if writer.truncated:
            self.write_warning(f"Resulting JSON is truncated as serialization has exceeded the set depth of {depth}.")
        self.write_object(text)


class ConvertFromJson(Cmdlet):
    name = "ConvertFrom-Json"
    synopsis = "Converts a JSON-formatted string to a custom object or a hash table."
    description = "Parses JSON text into PSCustomObjects (properties in document order); arrays become lists."
    error_source = "Microsoft.PowerShell.Commands.ConvertFromJsonCommand"
    parameters = (
        Parameter("InputObject", T.STRING, position=0, mandatory=True, pipeline=True, allow_empty=True,
                  help="The JSON text."),
        Parameter("AsHashtable", T.SWITCH, help="Returns ordered hashtables instead of objects."),
        Parameter("Depth", T.INT, help="Accepted for compatibility (maximum nesting, default 1024)."),
        Parameter("NoEnumerate", T.SWITCH, help="Outputs a top-level array as one object."),
    )
    examples = (Example("Get-Content config.json -Raw | ConvertFrom-Json", "Objects from a JSON file."),)

    def begin(self) -> None:
        self._parts: list[str] = []

    def process(self) -> None:
        value = self.params.get("InputObject")
        if value is not None:
            self._parts.append(_text(value))

    def end(self) -> None:
        from exshell.output.jsontext import parse_json  # lazy: only this command's formatting uses it

        text = "\n".join(self._parts)
        if not text.strip():
            return
        try:
            value = parse_json(text, bool(self.params.get("AsHashtable")))
        except ValueError as e:
            self.throw_terminating(
                f"Conversion from JSON failed with error: {e}", "System.ArgumentException",
                Category.NotSpecified, target=text, exception_type="ArgumentException",
            )
            return
        if isinstance(value, list) and not self.params.get("NoEnumerate"):
            self.write_object(value, enumerate_collection=True)
        else:
            self.write_object(value)
