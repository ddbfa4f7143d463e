"""Keyword patterns per role: the rule baseline, and cue features for the model."""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from . import matcher
from .matcher import Matcher, MatcherSet


def _compile(pattern: str) -> re.Pattern:
    r"""Compile with \b meaning a Latin-word boundary: to \b, Japanese letters are word characters too.

    A leading \b becomes a look-behind placed after the word's first letter
    ("ceo" -> "c(?<![a-z]c)eo"): a branch that starts with a look-behind stops
    the regex engine from skipping ahead by first character, which made the
    executive pattern ten times slower.
    """
    pattern = re.sub(r"\\b([a-z])", r"\1(?<![a-z]\1)", pattern)
    pattern = re.sub(r"\\b(?=[(\[])", "(?<![a-z])", pattern)
    return re.compile(pattern.replace("\\b", "(?![a-z])"))


# Patterns run on normalised text (NFKC, lower-case Latin); "none" holds signs of an out-of-scope bio,
# "org_only" a bio that is only an organisation's name (both cues, not roles: CUE_ONLY_PATTERNS).
ROLE_PATTERNS: dict[str, re.Pattern] = {
    "executive": _compile(
        r"代表取締役|取締役|社長|会長|代表社員|共同創業|創業|設立|起業|ファウンダー|経営者|経営し|経営する|"
        r"最高[^\s。、]{0,6}責任者|"
        r"監査役|co-?founder|founder|\bceo\b|\bcto\b|\bcfo\b|\bcoo\b|\bcmo\b|\bcio\b|\bciso\b|\bcdo\b|"
        r"\bcpo\b|\bcxo\b|chief [a-z ]*officer|株式会社[^\s。、]{0,20} ?代表|代表(?!理事|者|的|作|例|曲|選手|チーム)"),
    "author": _compile(
        r"著書|共著|単著|著作|監修|編著|作家|小説家|エッセイスト|上梓|刊行|出版し|出版。|を出版|"
        r"著に|主な著|著者|author of|co-?author|『[^』]{1,60}』 ?[(][^)]{0,30}(?:出版|書房|書店|社|文庫|新書|プレス|bp|books?)"),
    "media": _compile(
        r"記者|編集者|編集長|編集部|編集デスク|デスク|新聞社|新聞|出版社|雑誌|テレビ局|テレビ|放送局|放送|"
        r"番組|ディレクター|アナウンサー|キャスター|ラジオ|ジャーナリスト|ライター|報道|論説委員|"
        r"editor|journalist|reporter|writer|youtuber|ポッドキャスト|podcast"),
    "manager": _compile(
        r"執行役員|本部長|事業部長|部長|室長|課長|支店長|支社長|所長|局長|工場長|センター長|"
        r"マネージャー|マネジャー|マネージャ|manager|\bvpo[ep]\b|\bvp\b|vice president|director|head of|"
        r"グループリーダー|チームリーダー|ユニットリーダー|リーダー|統括|マネジメント|マネージメント|責任者|率い"),
    "consultant": _compile(
        r"コンサルタント|コンサルティング|コンサル|アドバイザー|アドバイザリー|advisor|consultant|consulting|"
        r"アナリスト|中小企業診断士|税理士|社労士|社会保険労務士|行政書士|弁護士|司法書士|弁理士|公認会計士|"
        r"顧問|コーチ|coach|研修講師|企業支援|士業"),
    "employee": _compile(
        r"会社員|エンジニア|engineer|デザイナー|designer|営業|研究員|研究者|公務員|職員|勤務|入社|所属|従事|"
        r"担当|開発|プログラマ|developer|フリーランス|社員|スタッフ|看護師|教員|教諭|医師|技術者|sre|"
        r"アーキテクト|architect|データサイエンティスト|scientist|サラリーマン|\bol\b|"
        r"市長|町長|村長|知事|議員|官僚|入庁|市役所|県庁|教授|准教授|講師"),
    "none": _compile(
        r"学生|大学生|大学院生|院生|高専生|高校生|修士課程|博士課程|就活|就職活動|求職|"
        r"専業主婦|専業主夫|主婦|退職し|引退|隠居|年金|趣味|推し|\bbot\b|自動投稿|フォロー"),
    # The whole bio is an organisation's name (a contact row with an empty title). The data card's
    # rule makes it employee; without this cue a name the model never saw left only 「株式 会社」,
    # which founders' bios (「株式会社〇〇を設立」) pull towards executive.
    "org_only": _compile(
        r"^(?:株式会社|有限会社|合同会社|\(株\)|\(有\)) ?[^\s。、!?/|を]{1,30}。?$|"
        r"^[^\s。、!?/|を]{1,30} ?(?:株式会社|\(株\))。?$|"
        r"^[a-z0-9&.,' -]{1,40} (?:inc\.?|co\., ?ltd\.?|k\.k\.|llc|ltd\.?)。?$"),
}
# Patterns that are cues but not roles: the rule baseline ignores them.
CUE_ONLY_PATTERNS = ("none", "org_only")

# Words that put a clause, or the word right after them, in the past (looked for in the
# PAST_PREFIX_WINDOW characters before a keyword).
PAST_PREFIX_WORDS = ("元", "前", "前職", "旧", "ex", "ex-", "former", "former ")
PAST_PREFIX_RE = _compile(r"(?:^|[^a-z])(?:" + "|".join(map(re.escape, PAST_PREFIX_WORDS)) + ")$")
# The last character of every PAST_PREFIX_RE match ($ also matches before a final line break):
# a cheap test before the regex, per keyword.
_PAST_PREFIX_ENDS = frozenset(word[-1] for word in PAST_PREFIX_WORDS) | {"\n"}
PAST_PREFIX_WINDOW = 8
PAST_CLAUSE_RE = _compile(
    r"を経て|経て|歴任|退任|退職|退社|務めた|勤めた|在籍した|かつて|以前は|当時|"
    r"\bex-?|\bformer\b|previously|〜\d{4}|-\d{4}年?$|まで")
CURRENT_CLAUSE_RE = _compile(r"現在|現職|現任|現在は|いまは|今は|currently|\bnow\b|就任|より現職")
# Boundaries between clauses; the clause before "を経て" etc. is a past one.
# Every branch starts with a plain character, so that the engine can skip ahead by first character
# (a branch that starts with a character class stops it: 5x slower).
CLAUSE_SPLIT_RE = re.compile(r"。|!|\?|;|\||/|\. |を経て|経て|後、|後,|のち、|を歴任し|歴任後|、(?=現在)|,(?=現在)")
PAST_BOUNDARIES = {"を経て", "経て", "後、", "後,", "のち、", "を歴任し", "歴任後"}

# The same patterns as matched per bio: compiled when training/_fastmatch.c is built (the seven
# role patterns then in one pass), with re's matches either way (training/matcher.py).
_SPLIT = Matcher(CLAUSE_SPLIT_RE)
_CURRENT = Matcher(CURRENT_CLAUSE_RE)
_PAST = Matcher(PAST_CLAUSE_RE)
_PAST_PREFIX = Matcher(PAST_PREFIX_RE)
_ROLE_MATCHERS = MatcherSet(ROLE_PATTERNS.values())
# With all of them compiled, the clause split and the cues run in C too (same results, tested).
_CLAUSES_COMPILED = all(m.compiled for m in (_SPLIT, _CURRENT, _PAST))
_CUES_COMPILED = _CLAUSES_COMPILED and _ROLE_MATCHERS.compiled and _PAST_PREFIX.compiled
_PAST_BOUNDARY_WORDS = tuple(sorted(PAST_BOUNDARIES))


@lru_cache(maxsize=256)
def clause_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, tense) of each clause of normalised text, tense in {"past", "current", ""}.

    A clause ending in a past boundary (〜を経て, 〜後、) is past; otherwise one that
    says 現在/現職 is current, and one with a past word (元, 退任, 卒業) is past.
    """
    if _CLAUSES_COMPILED:
        return matcher.fastmatch.clause_spans(_SPLIT.capsule, _CURRENT.capsule, _PAST.capsule,
                                              _PAST_BOUNDARY_WORDS, text)
    spans: list[tuple[int, int, str]] = []
    start = 0
    bounds = _SPLIT.spans(text)  # start, end of each boundary
    bounds += (len(text), len(text))  # the text's end closes the last clause
    for k in range(0, len(bounds), 2):
        end = bounds[k]
        if text[start:end].strip():
            if text[end:bounds[k + 1]] in PAST_BOUNDARIES:
                tense = "past"
            elif _CURRENT.search(text, start, end):
                tense = "current"
            elif _PAST.search(text, start, end):
                tense = "past"
            else:
                tense = ""
            spans.append((start, end, tense))
        start = bounds[k + 1]
    # Cached: the word features and the keyword cues of one bio both need its clauses.
    return tuple(spans)


def keyword_roles(text: str) -> list[str]:
    """Roles whose pattern matches anywhere in the normalised text (the rule baseline)."""
    return [role for role, pattern in ROLE_PATTERNS.items()
            if role not in CUE_ONLY_PATTERNS and pattern.search(text)]


_CUE_NAMES = {role: {tense: f"kw:{role}:{tense or 'plain'}" for tense in ("", "past", "current", "first")}
              for role in ROLE_PATTERNS}
_ROLE_CUE_NAMES = tuple(_CUE_NAMES[role] for role in ROLE_PATTERNS)


def keyword_matches(text: str, first_clause: bool = False) -> list[tuple[str, str]]:
    """(cue feature, matched words) for every keyword in the normalised text.

    The cue names the role and the tense of the clause it stands in, e.g.
    ("kw:executive:past", "cto") for 元CTO. With ``first_clause``, a keyword in
    the first clause also gives ("kw:<role>:first", words).
    """
    spans = clause_spans(text)
    starts = [start for start, _, _ in spans]
    first_end = spans[0][1] if spans else -1
    matches = []
    append = matches.append
    for names, bounds in zip(_ROLE_CUE_NAMES, _ROLE_MATCHERS.spans(text)):
        for k in range(0, len(bounds), 2):
            at = bounds[k]
            index = bisect_right(starts, at) - 1
            if index >= 0 and at < spans[index][1]:
                clause_start, _, tense = spans[index]
            else:
                clause_start, tense = at, ""
            if (tense != "past" and at > clause_start and text[at - 1] in _PAST_PREFIX_ENDS
                    and _PAST_PREFIX.search(text, max(clause_start, at - PAST_PREFIX_WINDOW), at)):
                tense = "past"
            words = text[at:bounds[k + 1]]
            append((names[tense], words))
            if first_clause and index == 0 and at < first_end:
                append((names["first"], words))
    return matches


def keyword_cues(text: str, first_clause: bool = False) -> list[str]:
    """Cue features: which role patterns match, and whether in a past or current clause
    (and, with ``first_clause``, in the first clause)."""
    return [cue for cue, _ in keyword_matches(text, first_clause)]


_CUE_TENSES = ("", "past", "current", "first")


def cue_column_table(vocabulary: dict[str, int]) -> tuple[int, ...]:
    """Per role pattern, the vocabulary columns of its plain, past, current and first-clause cue
    (-1 for a cue the vocabulary lacks): what :func:`cue_columns` maps cues to."""
    return tuple(int(vocabulary.get(names[tense], -1)) for names in _ROLE_CUE_NAMES for tense in _CUE_TENSES)


def cue_columns(text: str, first_clause: bool, table: tuple[int, ...]) -> list[int] | None:
    """The columns (``table`` from :func:`cue_column_table`) of ``keyword_cues(text, first_clause)``,
    with repeats, by the compiled matching; None without it."""
    if not _CUES_COMPILED:
        return None
    return matcher.fastmatch.cue_columns(_ROLE_MATCHERS.capsule, _PAST_PREFIX.capsule, PAST_PREFIX_WINDOW, text,
                                         clause_spans(text), first_clause, table)
