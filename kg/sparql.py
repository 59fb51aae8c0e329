"""Run SPARQL safely against the local store.

Both engines reach the network or the file system from some query forms (SERVICE, LOAD, FROM
with a remote IRI; updates change data), so those forms are refused before a query runs.

>>> check_query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
kg.errors.QueryError: SERVICE is not allowed in local queries (line 1, column 18) — kg never ...
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from kg.errors import QueryError
from kg.ontology import BASE_IRI, ID_PATTERN, KG, PREFIXES, entity_iri
from kg.results import DEFAULT_MAX_ROWS, Written, in_child, write_answer

_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
      | (?P<iri><[^<>"{}|^`\\\s]*>)
      | (?P<var>[?$]\w+)
      | (?P<pname>[\w.-]*:[\w.:%-]*)
      | (?P<word>[A-Za-z_]\w*)
      | (?P<other>\S)""",
    re.VERBOSE | re.DOTALL,
)
REFUSED = {
    "SERVICE": "kg never fetches remote data",
    "LOAD": "kg never fetches remote data",
    "INSERT": "local queries are read-only",
    "DELETE": "local queries are read-only",
    "CLEAR": "local queries are read-only",
    "DROP": "local queries are read-only",
    "CREATE": "local queries are read-only",
    "ADD": "local queries are read-only",
    "MOVE": "local queries are read-only",
    "COPY": "local queries are read-only",
}
RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
}


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {col}"


def check_query(text: str) -> None:
    """Refuse SERVICE, LOAD, updates, and FROM / FROM NAMED naming anything but kg's graphs."""
    tokens = [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(text)]
    words = [(v, at) for kind, v, at in tokens if kind in ("word", "iri")]
    for index, (value, at) in enumerate(words):
        keyword = value.upper()
        if keyword in REFUSED:
            raise QueryError(
                f"{keyword} is not allowed in local queries ({_position(text, at)})"
                f" — {REFUSED[keyword]}"
            )
        if keyword == "FROM":
            following = words[index + 1 : index + 3]
            iri = next((v for v, _ in following if v.startswith("<")), None)
            if iri is None or not iri[1:-1].startswith(BASE_IRI):
                raise QueryError(
                    f"FROM must name one of kg's own graphs ({_position(text, at)})"
                    f" — use GRAPH ?g {{ ... }} or an IRI under {BASE_IRI}"
                )


@dataclass
class QueryResult:
    """A query's answer: variables and rows (SELECT), a boolean (ASK) or triples (CONSTRUCT)."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[str, str, str]] = field(default_factory=list)
    #: Whether rows (or triples) were left out by a row cap.
    truncated: bool = field(default=False, repr=False, compare=False)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows) if self.kind == "select" else len(self.triples)

    def _table(self) -> tuple[list[dict[str, Any]], list[str]]:
        if self.kind == "ask":
            return [{"answer": self.boolean}], ["answer"]
        if self.kind == "graph":
            return [dict(zip(("s", "p", "o"), t, strict=True)) for t in self.triples], [
                "s",
                "p",
                "o",
            ]
        return self.rows, self.variables

    def to_frame(self) -> Any:
        """The answer as a ``pandas.DataFrame``: one column per variable (``s``, ``p``, ``o``
        for CONSTRUCT, ``answer`` for ASK). Needs the ``pandas`` extra."""
        from kg.notebook import to_frame

        rows, columns = self._table()
        return to_frame(rows, columns)

    def _repr_html_(self) -> str:
        from kg.notebook import html_table

        rows, columns = self._table()
        return html_table(rows, columns)


def python_value(term: Any) -> Any:
    """A pyoxigraph term as a plain Python value: IRIs and strings as str, numbers as numbers.

    >>> python_value(ox.Literal("3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
    3
    """
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value.rsplit("#", 1)[-1]
        if datatype in ("integer", "int", "long"):
            return int(term.value)
        if datatype in ("decimal", "double", "float"):
            return float(term.value)
        if datatype == "boolean":
            return term.value == "true"
        return term.value
    return term.value


_NOT_PROJECTED = re.compile(r"does not contains? variable \?(\w+) in its SELECT projection")


def _run(store: ox.Store, text: str, bindings: Mapping[str, Any] | None) -> Any:
    check_query(text)
    terms = {k: _term(v) for k, v in (bindings or {}).items()}
    written = inline_bindings(text, terms) if terms else None
    if written is not None:  # Oxigraph plans around constants in the text: much faster
        try:
            return store.query(written, prefixes=PREFIXES)
        except (SyntaxError, RuntimeError, OSError, ValueError):
            pass  # e.g. a literal where only an IRI may stand: bound below, errors as written
    inline: dict[str, Any] = {}
    while True:
        query = with_values(text, inline) if inline else text
        substitutions = {ox.Variable(k): v for k, v in terms.items() if k not in inline}
        try:
            return store.query(query, prefixes=PREFIXES, substitutions=substitutions or None)
        except SyntaxError as err:
            raise syntax_error(text, err) from None
        except RuntimeError as err:
            # pyoxigraph binds only projected variables of a SELECT; bind the others inline.
            missing = _NOT_PROJECTED.search(str(err))
            if missing and missing.group(1) in terms and missing.group(1) not in inline:
                inline[missing.group(1)] = terms[missing.group(1)]
                continue
            raise QueryError(f"query failed: {err}") from None
        except (OSError, ValueError) as err:
            raise QueryError(f"query failed: {err}") from None


def _term(value: Any) -> Any:
    if isinstance(value, ox.NamedNode | ox.Literal | ox.BlankNode):
        return value
    if isinstance(value, str) and re.match(r"^[a-z][a-z0-9+.-]*://", value):
        return ox.NamedNode(value)
    return (
        ox.Literal(str(value))
        if not isinstance(value, bool | int | float)
        else ox.Literal(
            str(value).lower() if isinstance(value, bool) else str(value),
            datatype=ox.NamedNode(
                "http://www.w3.org/2001/XMLSchema#"
                + (
                    "boolean"
                    if isinstance(value, bool)
                    else "integer"
                    if isinstance(value, int)
                    else "double"
                )
            ),
        )
    )


def run_query(
    store: ox.Store,
    text: str,
    bindings: Mapping[str, Any] | None = None,
    *,
    max_rows: int | None = None,
    timeout: float | None = None,
) -> QueryResult:
    """Run a read-only query; kg's prefixes (kg:, entity:, article:, schema:, ...) are predefined.

    At most ``max_rows`` rows (or triples) are kept (``truncated`` says whether some were
    left out); with ``timeout`` (seconds) the query runs in a child process that is stopped at
    the deadline (:class:`kg.results.QueryTimeout`) or on Ctrl-C.

    >>> store = ox.Store()
    >>> run_query(store, "ASK { ?s ?p ?o }").boolean
    False
    >>> capped = run_query(store, "SELECT ?n WHERE { VALUES ?n { 1 2 3 } }", max_rows=2)
    >>> capped.rows, capped.truncated
    ([{'n': 1}, {'n': 2}], True)
    """
    if timeout is None:
        return _collect(_run(store, text, bindings), max_rows)
    kept: list[Any] = []

    def work(stream: Any) -> QueryResult:
        return _collect(_run(store, text, bindings), max_rows, stream.send_rows)

    def take(chunk: list[Any]) -> None:
        kept.extend(chunk)

    result: QueryResult = in_child(work, None, timeout, take)
    if result.kind == "select":
        result.rows = kept
    elif result.kind == "graph":
        result.triples = kept
    return result


def _collect(
    answer: Any, max_rows: int | None, send: Callable[[list[Any]], None] | None = None
) -> QueryResult:
    """A pyoxigraph answer as a :class:`QueryResult` of at most ``max_rows`` rows; with
    ``send``, rows go there in chunks instead (from a child process)."""
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        names = [v.value for v in answer.variables]
        items: Iterator[Any] = ({n: python_value(sol[n]) for n in names} for sol in answer)
        result = QueryResult("select", variables=names)
    else:
        items = ((t.subject.value, t.predicate.value, str(t.object)) for t in answer)
        result = QueryResult("graph")
    kept: list[Any] = []
    for count, item in enumerate(items):
        if max_rows is not None and count >= max_rows:
            result.truncated = True
            break
        kept.append(item)
        if send is not None and len(kept) >= 1000:
            send(kept)
            kept = []
    if send is not None:
        send(kept)
        kept = []
    if result.kind == "select":
        result.rows = kept
    else:
        result.triples = kept
    return result


def serialize_query(
    store: ox.Store,
    text: str,
    fmt: str,
    bindings: Mapping[str, Any] | None = None,
    *,
    max_rows: int | None = None,
    timeout: float | None = None,
) -> bytes:
    """Run a query and serialise its answer in a W3C results format (json, xml, csv, tsv) or,
    for CONSTRUCT/DESCRIBE, an RDF format (ttl, nt); limits as :func:`stream_query`."""
    out = io.BytesIO()
    stream_query(store, text, fmt, out, bindings, max_rows=max_rows, timeout=timeout)
    return out.getvalue()


def stream_query(
    store: ox.Store,
    text: str,
    fmt: str,
    out: IO[bytes],
    bindings: Mapping[str, Any] | None = None,
    *,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    timeout: float | None = None,
) -> Written:
    """Run a query and write its answer to ``out`` in ``fmt`` as it is read (memory does not
    grow with the rows): at most ``max_rows`` rows, stopped after ``timeout`` seconds.

    >>> out = io.BytesIO()
    >>> stream_query(ox.Store(), "SELECT ?n WHERE { VALUES ?n { 1 2 } }", "tsv", out, timeout=5)
    Written(rows=2, truncated=False)
    >>> out.getvalue()
    b'?n\\n1\\n2\\n'
    """
    if timeout is None:
        return write_answer(_run(store, text, bindings), fmt, out, max_rows)
    written: Written = in_child(
        lambda stream: write_answer(_run(store, text, bindings), fmt, stream, max_rows),
        out,
        timeout,
    )
    return written


# --- Syntax errors, inline bindings and named queries ---------------------------------------

_ERROR_AT = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)
_PNAME_BEFORE = re.compile(r"([A-Za-z][\w.-]*)?:[\w.-]*$")


def syntax_error(text: str, err: SyntaxError) -> QueryError:
    """A pyoxigraph syntax error as one line: position, the text there, what was expected, a hint.

    >>> try:
    ...     ox.Store().query("SELECT * WHERE { ?s foo:bar ?o }")
    ... except SyntaxError as err:
    ...     print(syntax_error("SELECT * WHERE { ?s foo:bar ?o }", err))  # doctest: +ELLIPSIS
    SPARQL syntax error at line 1, column 28 (near 'foo:bar'): unknown prefix 'foo:' — ...
    """
    message = str(err)
    match = _ERROR_AT.match(message)
    if not match:
        return QueryError(f"SPARQL syntax error: {message} — check the query near that position")
    line_no, col, expected = int(match.group(1)), int(match.group(2)), match.group(3)
    lines = text.split("\n")
    line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    before = line[: max(col - 1, 0)]
    prefixes = ", ".join(f"{p}:" for p in list(PREFIXES)[:6])
    pname = _PNAME_BEFORE.search(before)
    if "Prefix not found" in expected and pname:
        prefix = pname.group(1) or ""
        word = pname.group(0)
        return QueryError(
            f"SPARQL syntax error at line {line_no}, column {col} (near {word!r}): unknown prefix "
            f"'{prefix}:' — declare it with PREFIX {prefix}: <...> or use a predefined prefix "
            f"({prefixes}, ...)"
        )
    near = (before.split()[-1:] or [""])[0] + line[max(col - 1, 0) :].split(" ", 1)[0]
    words = [
        w.strip() for w in expected.removeprefix("expected ").removeprefix("one of ").split(",")
    ]
    readable = [w for w in words if re.fullmatch(r"[A-Za-z]+|'.'|\[_\]", w)]
    wanted = ", ".join(readable[:8]) + (", ..." if len(readable) > 8 else "")
    what = f"expected {wanted}" if readable else "unexpected text"
    hint = "check the query near that position"
    form = _query_form(text)
    if form and form.upper() not in QUERY_FORMS:
        hint = (
            f"{form!r} is not a query form: a query starts with SELECT, ASK, CONSTRUCT or "
            "DESCRIBE (after any PREFIX lines)"
        )
    elif {"ABS", "STR", "NOT"} & set(readable):
        hint = "an expression is incomplete: check operators, arguments and parentheses"
    elif {"SERVICE", "LATERAL"} & set(readable) and near.strip() in ("}", ")", "."):
        hint = "a triple pattern needs a subject, a predicate and an object"
    near_text = f" (near {near.strip()!r})" if near.strip() else ""
    return QueryError(
        f"SPARQL syntax error at line {line_no}, column {col}{near_text}: {what} — {hint}"
    )


QUERY_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE", *REFUSED, "WITH"}


def _query_form(text: str) -> str | None:
    """The first keyword after the PREFIX and BASE declarations."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text) if m.lastgroup != "comment"]
    index = 0
    while index < len(tokens) and tokens[index][1].upper() in ("PREFIX", "BASE"):
        index += 3 if tokens[index][1].upper() == "PREFIX" else 2
    return tokens[index][1] if index < len(tokens) and tokens[index][0] == "word" else None


def with_values(text: str, bindings: Mapping[str, Any]) -> str:
    """The query with ``VALUES`` binding the given variables at the start of its WHERE block.

    This is how parameters reach a remote endpoint (which knows nothing of pyoxigraph's
    substitutions), and how local queries bind variables a SELECT does not project. Parameters
    used in the query's top-level group (patterns, filters, EXISTS) behave the same either way.

    >>> with_values("SELECT ?l WHERE { ?e rdfs:label ?l }", {"e": "https://kg.example/entity/ifs"})
    'SELECT ?l WHERE { VALUES (?e) { (<https://kg.example/entity/ifs>) } ?e rdfs:label ?l }'
    """
    if not bindings:
        return text
    tokens = [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(text)]
    where = next(
        (
            i
            for i, (kind, value, _) in enumerate(tokens)
            if kind == "word" and value.upper() == "WHERE"
        ),
        None,
    )
    start = where if where is not None else 0
    brace = next(
        (at for kind, value, at in tokens[start:] if kind == "other" and value == "{"), None
    )
    if brace is None:
        raise QueryError("cannot bind parameters: the query has no WHERE { ... } block")
    names = " ".join(f"?{name}" for name in bindings)
    values = " ".join(str(_term(value)) for value in bindings.values())
    return f"{text[: brace + 1]} VALUES ({names}) {{ ({values}) }}{text[brace + 1 :]}"


QUERY_DIR = Path(__file__).resolve().parent / "queries"
PARAM_TYPES = ("entity", "predicate", "day", "integer", "string")
_PARAM = re.compile(
    r"^(?P<name>\w+)\s+(?P<type>\w+)(?:\s*=\s*(?P<default>\S+)|\s+(?P<optional>optional))?"
    r"\s+[—-]+\s+(?P<help>.+)$"
)


@dataclass(frozen=True)
class QueryParam:
    """A parameter of a named query: a variable the query projects, bound before it runs."""

    name: str
    type: str
    help: str
    default: str | None = None
    required: bool = True

    def term(self, value: Any) -> Any:
        """The RDF term for a value given as text (entity ids and predicate names as IRIs)."""
        text = str(value).strip()
        if self.type == "entity":
            if re.match(r"^[a-z][a-z0-9+.-]*://", text) and " " not in text:
                return ox.NamedNode(text)
            if not ID_PATTERN.match(text):
                raise QueryError(
                    f"parameter {self.name}: {text!r} is not an entity id — give its id "
                    f"(`kg entities {_shell_word(text)}` finds it)"
                )
            return ox.NamedNode(str(entity_iri(text)))
        if self.type == "predicate":
            return ox.NamedNode(str(KG[text.removeprefix("kg:")]))
        if self.type == "day":
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                raise QueryError(
                    f"parameter {self.name}: {text!r} is not a day — write YYYY-MM-DD"
                ) from None
            return ox.Literal(day.isoformat(), datatype=ox.NamedNode(f"{_XSD}date"))
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?\d+", text):
                raise QueryError(f"parameter {self.name}: {text!r} is not a whole number")
            return ox.Literal(str(int(text)), datatype=ox.NamedNode(f"{_XSD}integer"))
        return ox.Literal(text)


_XSD = "http://www.w3.org/2001/XMLSchema#"


def _shell_word(text: str) -> str:
    """``text`` as one shell word (quoted when it holds spaces or quotes)."""
    return text if re.fullmatch(r"[\w.-]+", text) else '"' + text.replace('"', '\\"') + '"'


@dataclass(frozen=True)
class NamedQuery:
    """A competency question shipped as ``kg/queries/<name>.rq``, with its header parsed."""

    name: str
    title: str
    description: str
    params: tuple[QueryParam, ...]
    text: str
    path: Path
    see_also: str = ""  # a command that answers the question better, said when nothing matches

    def bind(self, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Check parameter values against the header and turn them into RDF terms.

        >>> q = named_query("as-of")
        >>> q.bind({"day": "2022-01-01"})["day"]
        <Literal value=2022-01-01 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#date>>
        >>> q.bind({})
        Traceback (most recent call last):
        ...
        kg.errors.QueryError: named query 'as-of' needs day=YYYY-MM-DD (the day to ask about)
        """
        given = dict(values or {})
        known = {p.name: p for p in self.params}
        for name in given:
            if name not in known:
                accepted = ", ".join(known) or "none"
                raise QueryError(
                    f"named query {self.name!r} has no parameter {name!r} — it accepts: {accepted}"
                )
        bound: dict[str, Any] = {}
        for param in self.params:
            value = given.get(param.name, param.default)
            if value is None or value == "":
                if param.required:
                    example = {"day": "YYYY-MM-DD", "entity": "ID", "integer": "N"}.get(
                        param.type, "VALUE"
                    )
                    raise QueryError(
                        f"named query {self.name!r} needs {param.name}={example} ({param.help})"
                    )
                continue
            bound[param.name] = param.term(value)
        return bound


def _parse_named(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    fields: dict[str, list[str]] = {"title": [], "description": [], "param": [], "see-also": []}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = re.match(r"^#\s*(title|description|param|see-also):\s*(.*)$", line)
        if match:
            fields[match.group(1)].append(match.group(2).strip())
    params = []
    for spec in fields["param"]:
        found = _PARAM.match(spec)
        if not found or found.group("type") not in PARAM_TYPES:
            raise QueryError(
                f"{path}: bad '# param:' line {spec!r} — write "
                f"'# param: NAME TYPE [= DEFAULT | optional] — help' with TYPE one of "
                f"{', '.join(PARAM_TYPES)}"
            )
        params.append(
            QueryParam(
                found.group("name"),
                found.group("type"),
                found.group("help"),
                found.group("default"),
                not (found.group("default") or found.group("optional")),
            )
        )
    if not fields["title"]:
        raise QueryError(f"{path}: a named query starts with a '# title:' line")
    return NamedQuery(
        path.stem,
        " ".join(fields["title"]),
        " ".join(fields["description"]),
        tuple(params),
        text,
        path,
        " ".join(fields["see-also"]),
    )


@cache
def named_queries(folder: Path = QUERY_DIR) -> dict[str, NamedQuery]:
    """Every named query shipped in ``kg/queries``, by name (the file stem), sorted.

    >>> "as-of" in named_queries() and "delistings" in named_queries()
    True
    """
    return {path.stem: _parse_named(path) for path in sorted(Path(folder).glob("*.rq"))}


def named_query(name: str) -> NamedQuery:
    """One named query; an unknown name raises :class:`QueryError` with close matches."""
    queries = named_queries()
    if name in queries:
        return queries[name]
    close = difflib.get_close_matches(name, list(queries), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else "`kg query --list` shows them"
    raise QueryError(f"no named query {name!r} — {hint}")


def run_named(
    store: ox.Store, name: str, params: Mapping[str, Any] | None = None, fmt: str | None = None
) -> QueryResult | bytes:
    """Run a named query with its parameters: a :class:`QueryResult`, or bytes in ``fmt``.

    >>> import kg
    >>> rows = run_named(kg.load().store, "as-of", {"day": "2022-01-01"})
    >>> any(r["s"].endswith("/ifs") and r["o"].endswith("/entity-list") for r in rows)
    True
    """
    query = named_query(name)
    bindings = query.bind(params)
    if fmt is None:
        return run_query(store, query.text, bindings)
    return serialize_query(store, query.text, fmt, bindings)


def parse_param(value: str) -> Any:
    """A ``--param`` value for an ad-hoc query as an RDF term: an IRI (``<...>``, ``http...``
    or a known prefix such as ``entity:ifs``), a whole number, or else a plain string.

    >>> parse_param("entity:ifs")
    <NamedNode value=https://kg.example/entity/ifs>
    >>> parse_param("2"), parse_param("two-thirds")
    (<Literal value=2 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>, \
<Literal value=two-thirds datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#string>>)
    """
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        return ox.NamedNode(text[1:-1])
    prefix, _, local = text.partition(":")
    if local and prefix in PREFIXES and not local.startswith("//"):
        return ox.NamedNode(PREFIXES[prefix] + local)
    if re.match(r"^[a-z][a-z0-9+.-]*://", text):
        return ox.NamedNode(text)
    if re.fullmatch(r"[+-]?\d+", text):
        return ox.Literal(str(int(text)), datatype=ox.NamedNode(f"{_XSD}integer"))
    return ox.Literal(text)


def _is_file(source: str) -> bool:
    """Whether ``source`` names an existing file (query text never does, however long)."""
    if "\n" in source or "{" in source:
        return False
    try:
        return Path(source).is_file()
    except (OSError, ValueError):  # a name too long for the file system, or with a NUL
        return False


def prepare_query(
    source: str, params: Mapping[str, Any] | None = None
) -> tuple[str, dict[str, Any], NamedQuery | None]:
    """What ``kg query SOURCE`` runs: a named query's name, a ``.rq`` file, or SPARQL text.

    Returns the text, the parameter bindings (checked against a named query's header, or parsed
    with :func:`parse_param` for other queries) and the named query if it is one.

    >>> text, bindings, named = prepare_query("as-of", {"day": "2024-01-01"})
    >>> named.title, str(bindings["day"])
    ('What held on a given day', '"2024-01-01"^^<http://www.w3.org/2001/XMLSchema#date>')
    >>> prepare_query("as-off")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kg.errors.QueryError: no named query, file or SPARQL text 'as-off' — did you mean as-of, ...
    """
    params = dict(params or {})
    if source in named_queries():
        named = named_queries()[source]
        return named.text, named.bind(params), named
    ad_hoc = {k: parse_param(str(v)) for k, v in params.items()}
    if _is_file(source):
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise QueryError(f"{source}: cannot read the query ({err})") from None
        return text, ad_hoc, None
    if re.fullmatch(r"[\w.-]+", source) and not source.endswith((".rq", ".sparql")):
        close = difflib.get_close_matches(source, list(named_queries()), n=3, cutoff=0.5)
        hint = (
            f"did you mean {', '.join(close)}?"
            if close
            else "`kg query --list` shows the named queries"
        )
        raise QueryError(f"no named query, file or SPARQL text {source!r} — {hint}")
    if re.fullmatch(r"\S+\.(rq|sparql)", source):
        raise QueryError(f"{source}: no such query file")
    return source, ad_hoc, None


# --- Cost estimate and inline binding (what kg serve and named queries use) ------------------

_PATTERN_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>(?:'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
                   (?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^(?:<[^<>\s]*>|[\w.-]*:[\w.:%-]*))?)
      | (?P<iri><[^<>"{}|^`\\\s]*>)
      | (?P<var>[?$]\w+)
      | (?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
      | (?P<pname>[\w.-]*:[\w.:%-]*)
      | (?P<word>[A-Za-z_]\w*)
      | (?P<other>\^\^|\S)""",
    re.VERBOSE | re.DOTALL,
)
_TYPE_PREDICATES = {"a", "rdf:type", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"}
_CONSTANT_KINDS = {"string", "iri", "number", "pname"}
_SKIPPED_AFTER = {"FILTER", "BIND", "HAVING"}  # followed by a parenthesised expression
_MODIFIERS = {"GROUP", "ORDER", "LIMIT", "OFFSET", "HAVING"}
_GROUP_WORDS = {"OPTIONAL", "UNION", "MINUS", "WHERE", "DISTINCT", "REDUCED", "LATERAL"}


class _Unreadable(Exception):
    """The cost estimate met syntax it does not follow: the query counts as costly."""


def query_cost(text: str) -> str:
    """``"cheap"`` when every triple pattern is anchored, else ``"costly"``: an estimate.

    A pattern is anchored when its subject or object is a constant (an object of ``a`` /
    ``rdf:type`` only names a class, which can be huge), a variable bound by ``VALUES``, or a
    variable that an anchored pattern binds. Such a query walks indexes from known nodes; an
    unanchored pattern scans. kg serve runs costly queries in a lane of their own so that they
    cannot starve cheap ones; syntax the estimate does not follow counts as costly.

    >>> query_cost("SELECT ?p ?o WHERE { entity:ifs ?p ?o }")
    'cheap'
    >>> query_cost("SELECT * WHERE { VALUES ?e { entity:ifs } ?e kg:partOf ?w . ?w rdfs:label ?l }")
    'cheap'
    >>> query_cost("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }")
    'costly'
    >>> query_cost("SELECT ?c WHERE { ?c a kg:Claim }")
    'costly'
    """
    try:
        patterns, bound = _triple_patterns(text)
    except _Unreadable:
        return "costly"
    if not patterns:
        return "cheap"
    anchored = [False] * len(patterns)
    changed = True
    while changed:
        changed = False
        for index, (subject, predicate, obj) in enumerate(patterns):
            if anchored[index]:
                continue
            typed = predicate in _TYPE_PREDICATES
            if _known(subject, bound) or (not typed and _known(obj, bound)):
                anchored[index] = changed = True
                bound.update(t for t in (subject, predicate, obj) if t.startswith(("?", "$")))
    return "cheap" if all(anchored) else "costly"


def _known(term: str, bound: set[str]) -> bool:
    return not term.startswith(("?", "$", "[")) or term in bound


def _triple_patterns(text: str) -> tuple[list[tuple[str, str, str]], set[str]]:
    """The triple patterns of a query's WHERE clause (paths as one predicate), and VALUES vars."""
    tokens = [(m.lastgroup or "", m.group()) for m in _PATTERN_TOKEN.finditer(text)]
    tokens = [(kind, value) for kind, value in tokens if kind != "comment"]
    upper = [value.upper() if kind == "word" else value for kind, value in tokens]
    if "WHERE" in upper:
        start = upper.index("WHERE")
    else:
        start = next((i for i, value in enumerate(upper) if value == "{"), len(upper))
    patterns: list[tuple[str, str, str]] = []
    bound: set[str] = set()
    pending: list[str] = []  # the terms of the pattern being read: subject, predicate, object
    graphs: list[tuple[str, int]] = []  # GRAPH ?g scopes: the variable, the depth of its block
    depth = 0
    index = start
    while index < len(tokens):
        kind, value = tokens[index]
        word = upper[index]
        if kind == "word" and word == "BIND":
            inside = [v for _, v in tokens[index + 1 : index + 6]]
            constant = tokens[index + 2][0] in _CONSTANT_KINDS if index + 2 < len(tokens) else False
            if len(inside) == 5 and inside[2].upper() == "AS" and inside[4] == ")" and constant:
                bound.add(inside[3])
        if kind == "word" and word in _SKIPPED_AFTER:
            index = _skip_parens(tokens, index + 1)
            pending = []
            continue
        if kind == "word" and word in ("VALUES",):
            index = _read_values(tokens, index + 1, bound)
            pending = []
            continue
        if kind == "word" and word in _MODIFIERS:
            while index < len(tokens) and tokens[index][1] not in ("{", "}"):
                index += 1
            pending = []
            continue
        if kind == "word" and word in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE"):
            while index < len(tokens) and tokens[index][1] != "{" and upper[index] != "WHERE":
                index += 1
            pending = []
            continue
        if kind == "word" and word == "GRAPH":
            name = tokens[index + 1] if index + 1 < len(tokens) else ("", "")
            if name[0] == "var":
                graphs.append((name[1], depth + 1))
            index += 2
            pending = []
            continue
        if kind == "word" and word in _GROUP_WORDS:
            index += 1
            continue
        if value in ("{", "}", "."):
            if pending:
                raise _Unreadable(value)
            depth += (value == "{") - (value == "}")
            while graphs and graphs[-1][1] > depth:
                graphs.pop()
            index += 1
            continue
        if value == "(" or value == "[" or value == "SERVICE":
            raise _Unreadable(value)
        if value in (";", ","):
            if len(pending) != 0:
                raise _Unreadable(value)
            last = next((p for p in reversed(patterns) if p[1] != "GRAPH"), None)
            if last is None:
                raise _Unreadable(value)
            pending = [last[0]] if value == ";" else [last[0], last[1]]
            index += 1
            continue
        if len(pending) == 1:  # the predicate: a path of constants and operators
            path, index = _read_path(tokens, index)
            pending.append(path)
            continue
        if kind in _CONSTANT_KINDS or kind == "var" or word in ("TRUE", "FALSE"):
            pending.append(value)
            index += 1
            if len(pending) == 3:
                patterns.append((pending[0], pending[1], pending[2]))
                if graphs:  # the pattern's graph is known once its subject is, and vice versa
                    patterns.append((pending[0], "GRAPH", graphs[-1][0]))
                pending = []
            continue
        raise _Unreadable(value)
    if pending:
        raise _Unreadable("an unfinished pattern")
    return patterns, bound


def _skip_parens(tokens: list[tuple[str, str]], index: int) -> int:
    depth = 0
    while index < len(tokens):
        value = tokens[index][1]
        depth += value == "("
        depth -= value == ")"
        index += 1
        if depth <= 0:
            return index
    return index


def _read_values(tokens: list[tuple[str, str]], index: int, bound: set[str]) -> int:
    while index < len(tokens) and tokens[index][1] != "{":
        if tokens[index][0] == "var":
            bound.add(tokens[index][1])
        index += 1
    depth = 0
    while index < len(tokens):
        depth += tokens[index][1] == "{"
        depth -= tokens[index][1] == "}"
        index += 1
        if depth == 0:
            break
    return index


def _read_path(tokens: list[tuple[str, str]], index: int) -> tuple[str, int]:
    parts: list[str] = []
    while index < len(tokens):
        kind, value = tokens[index]
        if value in ("^", "!"):
            parts.append(value)
        elif kind in ("iri", "pname", "var") or (kind == "word" and value == "a"):
            parts.append(value)
            following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
            if following in ("*", "+", "?"):
                parts.append(following)
                index += 1
                following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
            if following not in ("/", "|"):
                return "".join(parts), index + 1
            parts.append(following)
            index += 1
        else:
            raise _Unreadable(value)
        index += 1
    raise _Unreadable("an unfinished path")


def inline_bindings(text: str, bindings: Mapping[str, Any]) -> str | None:
    """The query with each bound variable replaced by its term, or None where that is unsafe.

    Oxigraph plans a query around the constants in its text, but applies pyoxigraph's
    substitutions and a leading ``VALUES`` block only after it has chosen a plan; written in,
    the bound values make a named query walk from the given nodes. A projected variable keeps
    its name (``(<iri> AS ?s)``); a bound ``ORDER BY`` key is left out (every row has the same
    value). Queries where a written-in term could change the meaning (``SELECT *``, ``VALUES``,
    ``GROUP BY`` or ``AS`` on a bound variable) give None: bind those with :func:`with_values`
    instead. A subquery is written into when it projects the bound variables it uses.

    >>> ifs = {"e": "https://kg.example/entity/ifs"}
    >>> inline_bindings("SELECT ?l WHERE { ?e rdfs:label ?l }", ifs)
    'SELECT ?l WHERE { <https://kg.example/entity/ifs> rdfs:label ?l }'
    >>> inline_bindings("SELECT ?e ?l WHERE { ?e rdfs:label ?l }", ifs).split(" WHERE")[0]
    'SELECT (<https://kg.example/entity/ifs> AS ?e) ?l'
    >>> inline_bindings("SELECT * WHERE { ?e rdfs:label ?l }", ifs) is None
    True
    >>> inline_bindings("SELECT ?l WHERE { ?e rdfs:label ?l } ORDER BY ?e ?l", ifs).split("} ")[1]
    'ORDER BY  ?l'
    >>> inline_bindings("SELECT ?l WHERE { ?e rdfs:label ?l } ORDER BY ?e", ifs).endswith("?l } ")
    True
    """
    if not bindings:
        return text
    terms = {name: str(_term(value)) for name, value in bindings.items()}
    tokens = [(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    tokens = [t for t in tokens if t[0] != "comment"]
    values = [value for _, value, _, _ in tokens]
    words = [value.upper() if kind == "word" else "" for kind, value, _, _ in tokens]
    if "VALUES" in words:
        return None
    role = [""] * len(tokens)  # "projection", "order" or "group" for tokens in those clauses
    outer: range = range(0)  # the projection of the query itself
    from_subqueries: set[str] = set()  # variables that subqueries project
    for index, word in enumerate(words):
        if word == "SELECT":
            opening = _next_brace(values, index)
            if "*" in values[index:opening]:
                return None
            depth = 0
            for inner in range(index + 1, opening):
                depth += (values[inner] == "(") - (values[inner] == ")")
                role[inner] = "projection" if depth == 0 and values[inner] != ")" else "expression"
            if not outer:
                outer = range(index + 1, opening)
                continue
            if (
                index > 0
                and values[index - 1] == "{"
                and not _projects_bound(
                    tokens, index, opening, _matching_brace(values, index - 1), set(terms)
                )
            ):
                return None
            from_subqueries.update(v[1:] for v in values[index:opening] if v[:1] in "?$")
        elif word in ("GROUP", "ORDER", "HAVING"):
            inner = index
            while (
                inner < len(tokens)
                and values[inner] not in ("{", "}")
                and (inner == index or words[inner] not in ("LIMIT", "OFFSET", "ORDER", "GROUP"))
            ):
                role[inner] = "order" if word == "ORDER" else "group"
                inner += 1
    # ORDER BY a bound variable: every row sorts alike, so the key is left out (sorting by it
    # costs the engine a comparison of the same term on every step)
    edits = {start: (end, "") for start, end in _constant_order_keys(tokens, role, set(terms))}
    for index, (kind, value, start, end) in enumerate(tokens):
        if kind != "var" or value[1:] not in terms:
            continue
        if (index > 0 and words[index - 1] == "AS") or role[index] == "group":
            return None
        if role[index] == "order" or (index in outer and value[1:] in from_subqueries):
            continue  # left out above, kept inside an ORDER BY expression, or bound by a subquery
        term = terms[value[1:]]
        edits[start] = (end, f"({term} AS {value})" if role[index] == "projection" else term)
    pieces: list[str] = []
    done = 0
    for start in sorted(edits):
        end, replacement = edits[start]
        pieces += [text[done:start], replacement]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _constant_order_keys(
    tokens: list[tuple[str | None, str, int, int]], role: list[str], bound: set[str]
) -> list[tuple[int, int]]:
    """The spans of ORDER BY keys that are bound variables (the whole clause when all are)."""
    spans: list[tuple[int, int]] = []
    for index, (_, value, _, _) in enumerate(tokens):
        if role[index] != "order" or value.upper() != "ORDER":
            continue
        end = index
        while end < len(tokens) and role[end] == "order":
            end += 1
        keys, depth = [], 0
        for inner in range(index + 2, end):  # after ORDER BY
            kind, key, _, _ = tokens[inner]
            if depth == 0:
                keys.append(inner if kind == "var" and key[1:] in bound else None)
            depth += (key == "(") - (key == ")")
        if keys and all(key is not None for key in keys):
            spans.append((tokens[index][2], tokens[end - 1][3]))
        else:
            spans += [(tokens[key][2], tokens[key][3]) for key in keys if key is not None]
    return spans


def _next_brace(values: list[str], index: int) -> int:
    return next((i for i in range(index, len(values)) if values[i] == "{"), len(values))


def _matching_brace(values: list[str], opening: int) -> int:
    depth = 0
    for index in range(opening, len(values)):
        depth += (values[index] == "{") - (values[index] == "}")
        if depth == 0:
            return index
    return len(values)


def _projects_bound(
    tokens: list[tuple[str | None, str, int, int]],
    select: int,
    opening: int,
    closing: int,
    bound: set[str],
) -> bool:
    """Whether a subquery projects every bound variable it uses (else they are not the same)."""
    projected = {value[1:] for kind, value, _, _ in tokens[select:opening] if kind == "var"}
    used = {value[1:] for kind, value, _, _ in tokens[opening:closing] if kind == "var"}
    return not (used & bound) - projected


def bind_text(text: str, bindings: Mapping[str, Any]) -> str:
    """The query with its parameters bound in the text: written in, or as a ``VALUES`` block.

    >>> bind_text("SELECT ?l WHERE { ?e rdfs:label ?l }", {"e": "https://kg.example/entity/ifs"})
    'SELECT ?l WHERE { <https://kg.example/entity/ifs> rdfs:label ?l }'
    """
    inlined = inline_bindings(text, bindings)
    return inlined if inlined is not None else with_values(text, bindings)
