"""Telegram-like parsing of formatted text (HTML, MarkdownV2, Markdown) into text + entities.

Offsets and lengths of entities are measured in UTF-16 code units, like Telegram does.
Malformed markup raises :class:`EntityParseError` with a message close to Telegram's
("can't parse entities: ..."), so bots that forget to escape user input fail here as they
would in production.
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = [
    "EntityParseError",
    "detect_entities",
    "parse_formatted",
    "strip_text",
    "utf16_len",
]


class EntityParseError(ValueError):
    """Markup could not be parsed; ``str(exc)`` is the text after "Bad Request: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Builder:
    """Accumulates plain text and entities while a parser walks the markup."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0  # UTF-16 position
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.pos += utf16_len(text)

    def entity(self, start: int, kind: str, **extra: Any) -> None:
        length = self.pos - start
        if length > 0:
            self.entities.append({"type": kind, "offset": start, "length": length, **extra})

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


# --------------------------------------------------------------------------- HTML

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_RE = re.compile(r"[A-Za-z0-9-]*")
_ATTR_RE = re.compile(
    r"""\s*([A-Za-z0-9_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""",
)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode an HTML entity starting at text[i] == '&'; return (char, new_index)."""
    end = text.find(";", i + 1, i + 12)
    if end == -1:
        return None
    name = text[i + 1 : end]
    if name in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[name], end + 1
    if name.startswith("#"):
        try:
            code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
            return chr(code), end + 1
        except (ValueError, OverflowError):
            return None
    return None


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, int, dict[str, Any], int]] = []  # tag, start pos, extra, byte offset
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.add(decoded[0])
                i = decoded[1]
                continue
            out.add("&")
            i += 1
            continue
        if ch != "<":
            j = i
            while j < n and text[j] not in "<&":
                j += 1
            out.add(text[i:j])
            i = j
            continue
        begin = i
        if text.startswith("</", i):
            m = _TAG_NAME_RE.match(text, i + 2)
            assert m is not None
            name = m.group(0).lower()
            j = m.end()
            while j < n and text[j] in " \t\r\n":
                j += 1
            if j >= n or text[j] != ">":
                raise EntityParseError(
                    f"can't parse entities: Can't find end of tag at byte offset {_byte_offset(text, begin)}"
                )
            if not stack:
                raise EntityParseError(
                    f"can't parse entities: Unexpected end tag at byte offset {_byte_offset(text, begin)}"
                )
            tag, start, extra, _ = stack.pop()
            if name != tag:
                raise EntityParseError(
                    f"can't parse entities: Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{tag}>", found "</{name}>"'
                )
            kind = _HTML_TAGS[tag]
            if kind == "text_link":
                url = extra.get("url", "")
                if url.startswith("tg://user?id="):
                    try:
                        uid = int(url.split("=", 1)[1])
                    except ValueError:
                        uid = 0
                    out.entity(
                        start,
                        "text_mention",
                        user={"id": uid, "is_bot": False, "first_name": "User"},
                    )
                elif url:
                    out.entity(start, "text_link", url=url)
            elif kind == "code" and stack and stack[-1][0] == "pre":
                # <pre><code class="language-x"> -> language of the enclosing pre
                lang = extra.get("language")
                if lang:
                    stack[-1][2]["language"] = lang
            else:
                out.entity(start, kind, **extra)
            i = j + 1
            continue
        m = _TAG_NAME_RE.match(text, i + 1)
        assert m is not None
        name = m.group(0).lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(
                f'can\'t parse entities: Unsupported start tag "{m.group(0)}" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        j = m.end()
        attrs: dict[str, str] = {}
        while True:
            while j < n and text[j] in " \t\r\n":
                j += 1
            if j >= n:
                raise EntityParseError(
                    f'can\'t parse entities: Unclosed start tag "{name}" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            if text[j] == ">":
                j += 1
                break
            if text[j] == "/" and text.startswith("/>", j):
                raise EntityParseError(
                    f'can\'t parse entities: Unsupported self-closing tag "{name}" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            am = _ATTR_RE.match(text, j)
            if am is None or am.end() == j:
                raise EntityParseError(
                    f"can't parse entities: Expected equal sign in declaration of an attribute of "
                    f'the tag "{name}" at byte offset {_byte_offset(text, begin)}'
                )
            value = next((g for g in am.groups()[1:] if g is not None), "")
            attrs[am.group(1).lower()] = html.unescape(value)
            j = am.end()
        extra: dict[str, Any] = {}
        if name == "span":
            if attrs.get("class") != "tg-spoiler":
                raise EntityParseError(
                    f'can\'t parse entities: Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
        elif name == "a":
            extra["url"] = attrs.get("href", "")
        elif name == "code":
            cls = attrs.get("class", "")
            if cls.startswith("language-"):
                extra["language"] = cls[len("language-") :]
        elif name == "blockquote" and "expandable" in attrs:
            name_kind = "expandable_blockquote"
            stack.append((name, out.pos, {"__kind": name_kind}, _byte_offset(text, begin)))
            i = j
            continue
        elif name == "tg-emoji":
            extra["custom_emoji_id"] = attrs.get("emoji-id", "")
        elif name == "tg-time":
            try:
                extra["unix_time"] = int(attrs.get("unix", "0"))
            except ValueError:
                extra["unix_time"] = 0
            if "format" in attrs:
                extra["date_time_format"] = attrs["format"]
        stack.append((name, out.pos, extra, _byte_offset(text, begin)))
        i = j
    if stack:
        tag = stack[-1][0]
        raise EntityParseError(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
        )
    text_out, entities = out.result()
    for e in entities:
        kind = e.pop("__kind", None)
        if kind:
            e["type"] = kind
    return text_out, entities


# --------------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def _md_error(text: str, i: int, message: str) -> EntityParseError:
    return EntityParseError(
        f"can't parse entities: {message} at byte offset {_byte_offset(text, i)}"
    )


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    # stack of (marker, start pos, byte index in source, extra)
    stack: list[tuple[str, int, int, dict[str, Any]]] = []
    i = 0
    n = len(text)
    at_line_start = True
    quote_start: int | None = None
    quote_kind = "blockquote"

    line_end = 0  # output position before the newline that ended the previous line

    def close_quote(at_line_start: bool) -> None:
        nonlocal quote_start
        if quote_start is not None:
            end = line_end if at_line_start else out.pos
            if end > quote_start:
                out.entities.append(
                    {"type": quote_kind, "offset": quote_start, "length": end - quote_start}
                )
            quote_start = None

    while i < n:
        ch = text[i]
        if ch == "\r":
            # Ignored: separates ambiguous "_" / "__" markers ("___italic underline_\r__").
            i += 1
            continue
        if at_line_start:
            at_line_start = False
            if ch == ">" or text.startswith("**>", i):
                if quote_start is None:
                    quote_start = out.pos
                    quote_kind = "blockquote"
                if text.startswith("**>", i):
                    quote_kind = "expandable_blockquote"
                    i += 3
                else:
                    i += 1
                continue
            close_quote(True)
        if ch == "\\":
            if i + 1 < n and ord(text[i + 1]) < 128:
                out.add(text[i + 1])
                i += 2
                continue
            raise _md_error(
                text, i, "Character '\\' is reserved and must be escaped with the preceding '\\'"
            )
        if ch == "\n":
            line_end = out.pos
            out.add("\n")
            i += 1
            at_line_start = True
            continue
        if ch == "`":
            if text.startswith("```", i):
                end = text.find("```", i + 3)
                if end == -1:
                    raise _md_error(text, i, "Can't find end of Pre entity")
                body = text[i + 3 : end]
                lang = ""
                if "\n" in body:
                    first, rest = body.split("\n", 1)
                    if re.fullmatch(r"[A-Za-z0-9_+#.-]*", first):
                        lang, body = first, rest
                body = re.sub(r"\\([\x01-\x7e])", r"\1", body)
                if body.endswith("\n"):
                    body = body[:-1]
                start = out.pos
                out.add(body)
                if lang:
                    out.entity(start, "pre", language=lang)
                else:
                    out.entity(start, "pre")
                i = end + 3
                continue
            end = i + 1
            while end < n and text[end] != "`":
                end += 2 if text[end] == "\\" else 1
            if end >= n:
                raise _md_error(text, i, "Can't find end of Code entity")
            body = re.sub(r"\\([\x01-\x7e])", r"\1", text[i + 1 : end])
            start = out.pos
            out.add(body)
            out.entity(start, "code")
            i = end + 1
            continue
        if ch == "|" and text.startswith("||", i):
            if (
                quote_start is not None
                and (i + 2 >= n or text[i + 2] == "\n")
                and not any(m == "||" for m, *_ in stack)
            ):
                # "||" at the end of a quoted line marks the quotation expandable
                quote_kind = "expandable_blockquote"
                i += 2
                continue
            marker = "||"
        elif ch == "_" and text.startswith("__", i):
            marker = "__"
        elif ch in "*_~":
            marker = ch
        elif ch == "[" or (ch == "!" and text.startswith("![", i)):
            if ch == "!":
                i += 1
            stack.append(("[", out.pos, i, {"emoji": ch == "!"}))
            i += 1
            continue
        elif ch == "]":
            if not stack or stack[-1][0] != "[":
                raise _md_error(
                    text, i, "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            _, start, src, extra = stack.pop()
            if not text.startswith("(", i + 1):
                raise _md_error(text, i + 1, "Can't find end of a URL")
            end = i + 2
            url_chars: list[str] = []
            while end < n and text[end] != ")":
                if text[end] == "\\" and end + 1 < n:
                    url_chars.append(text[end + 1])
                    end += 2
                    continue
                url_chars.append(text[end])
                end += 1
            if end >= n:
                raise _md_error(text, i + 1, "Can't find end of a URL")
            url = "".join(url_chars)
            if extra["emoji"]:
                out.entity(start, "custom_emoji", custom_emoji_id=url.rsplit("=", 1)[-1])
            elif url.startswith("tg://user?id="):
                try:
                    uid = int(url.split("=", 1)[1])
                except ValueError:
                    uid = 0
                out.entity(
                    start, "text_mention", user={"id": uid, "is_bot": False, "first_name": "User"}
                )
            else:
                out.entity(start, "text_link", url=url)
            i = end + 1
            continue
        elif ch in _MDV2_RESERVED:
            raise _md_error(
                text, i, f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            j = i
            while j < n and text[j] not in _MDV2_RESERVED and text[j] not in "\\\n":
                j += 1
            out.add(text[i:j])
            i = j
            continue
        # opening or closing a symmetric marker
        if stack and stack[-1][0] == marker:
            _, start, _, _ = stack.pop()
            kind = {
                "*": "bold",
                "_": "italic",
                "__": "underline",
                "~": "strikethrough",
                "||": "spoiler",
            }[marker]
            out.entity(start, kind)
        elif any(m == marker for m, *_ in stack):
            raise _md_error(text, i, f"Can't find end of {marker} entity")
        else:
            stack.append((marker, out.pos, i, {}))
        i += len(marker)
    close_quote(False)
    if stack:
        marker, _, src, _ = stack[-1]
        names = {
            "*": "Bold",
            "_": "Italic",
            "__": "Underline",
            "~": "Strikethrough",
            "||": "Spoiler",
            "[": "TextUrl",
        }
        raise _md_error(text, src, f"Can't find end of {names[marker]} entity")
    return out.result()


# --------------------------------------------------------------------------- legacy Markdown


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if ch in "*_`":
            if text.startswith("```", i):
                end = text.find("```", i + 3)
                if end == -1:
                    raise _md_error(text, i, "Can't find end of the entity starting")
                body = text[i + 3 : end]
                start = out.pos
                out.add(body)
                out.entity(start, "pre")
                i = end + 3
                continue
            end = text.find(ch, i + 1)
            if end == -1:
                raise _md_error(text, i, "Can't find end of the entity starting")
            start = out.pos
            out.add(text[i + 1 : end])
            out.entity(start, {"*": "bold", "_": "italic", "`": "code"}[ch])
            i = end + 1
            continue
        if ch == "[":
            close = text.find("]", i + 1)
            if close == -1:
                raise _md_error(text, i, "Can't find end of the entity starting")
            label = text[i + 1 : close]
            if text.startswith("(", close + 1):
                end = text.find(")", close + 2)
                if end == -1:
                    raise _md_error(text, i, "Can't find end of the entity starting")
                start = out.pos
                out.add(label)
                out.entity(start, "text_link", url=text[close + 2 : end])
                i = end + 1
            else:
                out.add(text[i : close + 1])
                i = close + 1
            continue
        j = i
        while j < n and text[j] not in "*_`[\\":
            j += 1
        if j == i:
            j += 1
        out.add(text[i:j])
        i = j
    return out.result()


# --------------------------------------------------------------------------- helpers


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip leading/trailing whitespace like Telegram, shifting and clipping entities."""
    stripped_left = text.lstrip()
    lead = utf16_len(text[: len(text) - len(stripped_left)])
    result = stripped_left.rstrip()
    total = utf16_len(result)
    fixed: list[dict[str, Any]] = []
    for e in entities:
        start = max(0, e["offset"] - lead)
        end = min(total, e["offset"] + e["length"] - lead)
        if end > start:
            fixed.append({**e, "offset": start, "length": end - start})
    return result, fixed


_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?![\w@])")
_HASHTAG_RE = re.compile(r"(?<![\w#])#\w+")
_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}(?![\w-])"
)
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&*+,;=%()']"
_SCHEME_URL_RE = re.compile(rf"(?<![\w/])(?:https?|ftp|tg|tonsite)://{_URL_CHARS}+", re.IGNORECASE)
_TLDS = (
    "com|net|org|info|biz|io|me|co|cc|tv|app|dev|xyz|top|vip|shop|store|site|online|link|club|"
    "live|pro|fun|icu|cn|hk|tw|mo|jp|kr|sg|my|th|vn|ph|id|in|ru|ua|uk|de|fr|it|es|nl|eu|us|ca|"
    "au|nz|br|tk|ml|ga|cf|gq|ly|gg|to|ai|so|ws|cx|la|su|pw|work|email|money|pay|cash|bet|win"
)
_DOMAIN_URL_RE = re.compile(
    rf"(?<![\w@./-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+(?:{_TLDS})(?![\w-])"
    rf"(?::\d{{1,5}})?(?:/{_URL_CHARS}*)?",
    re.IGNORECASE,
)


def _trim_url(text: str, start: int, end: int) -> int:
    """Drop trailing punctuation (and unbalanced closing brackets) from a detected URL."""
    while end > start and text[end - 1] in ".,;:!?'*":
        end -= 1
    while (
        end > start
        and text[end - 1] in ")]"
        and text[start:end].count("(" if text[end - 1] == ")" else "[")
        < text[start:end].count(text[end - 1])
    ):
        end -= 1
    return end


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Auto-detected entities (url, email, bot_command, mention, hashtag) as Telegram adds them."""
    found: list[tuple[int, int, str]] = []

    def add(s: int, e: int, kind: str) -> None:
        if e > s and not any(s < fe and fs < e for fs, fe, _ in found):
            found.append((s, e, kind))

    for m in _EMAIL_RE.finditer(text):
        add(m.start(), m.end(), "email")
    for regex in (_SCHEME_URL_RE, _DOMAIN_URL_RE):
        for m in regex.finditer(text):
            add(m.start(), _trim_url(text, m.start(), m.end()), "url")
    for kind, regex in (
        ("bot_command", _COMMAND_RE),
        ("mention", _MENTION_RE),
        ("hashtag", _HASHTAG_RE),
    ):
        for m in regex.finditer(text):
            add(m.start(), m.end(), kind)
    found.sort()
    return [
        {"type": kind, "offset": utf16_len(text[:s]), "length": utf16_len(text[s:e])}
        for s, e, kind in found
    ]


def parse_formatted(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) for a text/caption with an optional parse mode.

    Explicit ``entities`` win over ``parse_mode`` (Telegram ignores parse_mode then).
    """
    if entities:
        return text, [dict(e) for e in entities]
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    if mode:
        raise EntityParseError(f"unsupported parse_mode {parse_mode!r}")
    return text, []
