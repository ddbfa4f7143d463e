"""The compiled keyword and clause matching (training/_fastmatch.c through training/matcher.py)
gives re's matches: on the corpus, on fuzzed text, on the syntax it supports, and it hands
everything else back to re."""
import json
import random
import re

import pytest

from conftest import compiled_or_skip
from training import keywords, matcher
from training.corpus import default_data_files
from training.matcher import Matcher, MatcherSet
from training.normalize import normalize_text

KEYWORD_PATTERNS = {**{f"role:{role}": p for role, p in keywords.ROLE_PATTERNS.items()},
                    "clause split": keywords.CLAUSE_SPLIT_RE, "current clause": keywords.CURRENT_CLAUSE_RE,
                    "past clause": keywords.PAST_CLAUSE_RE, "past prefix": keywords.PAST_PREFIX_RE}


def _re_spans(pattern, text):
    return [bound for match in pattern.finditer(text) for bound in match.span()]


def _fuzzed_texts(seed=5, n=4000):
    """Corpus bios (every fifth), random strings of the patterns' own characters, and bios with
    such strings spliced in: the places where a mismatch would hide."""
    texts = []
    for path in default_data_files():
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts += [normalize_text(json.loads(line)["text"]) for line in lines[::5]]
    alphabet = sorted(set("".join(p.pattern for p in KEYWORD_PATTERNS.values()))
                      | set("abcdefghijklmnopqrstuvwxyz0123456789 \n。、元前-"))
    # Every past prefix right before a keyword, after a letter (which stops it), a non-letter or nothing.
    texts += [f"{before}{prefix}{keyword}" for before in ("", "x", "・", "。", "現在 ")
              for prefix in keywords.PAST_PREFIX_WORDS for keyword in ("cto", "記者", "課長")]
    rng = random.Random(seed)
    for _ in range(n):
        texts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))))
        bio = rng.choice(texts[:1000])
        at = rng.randint(0, len(bio))
        texts.append(bio[:at] + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) + bio[at:])
    return texts


@pytest.fixture(scope="module")
def fuzzed_texts():
    return _fuzzed_texts()


def test_every_keyword_and_clause_pattern_is_compiled():
    compiled_or_skip("_fastmatch")
    assert {name: Matcher(p).compiled for name, p in KEYWORD_PATTERNS.items()} == dict.fromkeys(KEYWORD_PATTERNS, True)
    assert keywords._ROLE_MATCHERS.compiled


@pytest.mark.parametrize("name", sorted(KEYWORD_PATTERNS))
def test_compiled_matches_equal_re_on_corpus_and_fuzzed_text(name, fuzzed_texts):
    compiled_or_skip("_fastmatch")
    pattern = KEYWORD_PATTERNS[name]
    compiled = Matcher(pattern)
    rng = random.Random(name)
    for text in fuzzed_texts:
        assert compiled.spans(text) == _re_spans(pattern, text), text
        start = rng.randint(0, len(text))
        end = rng.randint(start, len(text))
        assert compiled.search(text, start, end) == (pattern.search(text[start:end]) is not None), (text, start, end)


def test_the_role_patterns_in_one_pass_equal_one_scan_each(fuzzed_texts):
    compiled_or_skip("_fastmatch")
    patterns = list(keywords.ROLE_PATTERNS.values())
    together = MatcherSet(patterns)
    assert together.compiled
    for text in fuzzed_texts:
        assert together.spans(text) == tuple(_re_spans(p, text) for p in patterns), text


# Each construct the subset supports, on texts that make re backtrack, look around or anchor.
SYNTAX_CASES = [
    (r"最高[^\s。、]{0,6}責任者", ["最高技術責任者責任者", "最高 責任者", "最高責任者", "最高経営責任者です。最高技術責任者"]),
    (r"chief [a-z ]*officer", ["chief technology officer officer", "chief officer", "chief x officers"]),
    (r"株式会社[^\s。、]{0,20} ?代表", ["株式会社abc 代表", "株式会社abc代表代表", "株式会社 代表", "株式会社、代表"]),
    (r"代表(?!理事|者|的)", ["代表理事", "代表者の代表", "代表", "代表的な代表取締役"]),
    (r"(?<![a-z])ceo(?![a-z])", ["ceo", "aceo", "ceox", "co-ceo", "ceo/cto"]),
    (r"c(?<![a-z]c)to(?![a-z])", ["cto", "acto", "ctos", "元cto"]),
    (r"-\d{4}年?$", ["2010-2015年", "2010-2015\n", "2010-2015年。", "-٢٠١٥"]),
    (r"(?:^|[^a-z])(?:元|ex-?|former )$", ["元", "ex", "ex-", "former ", "aex", "x元"]),
    (r"、(?=現在)|,(?=現在)", ["a、現在", "a、過去", ",現在,現在"]),
    (r"[^a-z]+x", ["abc12x", "12x12x"]),
    (r"a\sb|a\Sb|\w\W", ["a b", "a\u3000b", "axb", "_.", "あ。"]),
    (r"取締役|取締役会|取締", ["取締役会", "取締", "取締役"]),
    (r"[あ-ん]{2,3}", ["あいうえお", "あ", "かきくけこさ"]),
    (r"𠮷野|家", ["𠮷野家", "吉野家"]),
    (r"x", ["", "xx"]),
    (r"[^a]b|ab|a[^b]c", ["cb", "ab", "b", "aac", "abc"]),  # a negated character is no literal prefix
]


@pytest.mark.parametrize("source, texts", SYNTAX_CASES)
def test_each_supported_construct_gives_re_matches(source, texts):
    compiled_or_skip("_fastmatch")
    pattern = re.compile(source)
    compiled = Matcher(pattern)
    assert compiled.compiled
    for text in texts:
        assert compiled.spans(text) == _re_spans(pattern, text), text
        for start in range(len(text) + 1):
            for end in range(start, len(text) + 1):
                assert compiled.search(text, start, end) == (pattern.search(text[start:end]) is not None)


def test_a_slice_is_a_string_of_its_own_for_look_behind_and_anchors():
    compiled_or_skip("_fastmatch")
    behind = Matcher(re.compile(r"(?<!a)b"))
    assert behind.search("ab", 1, 2) and not behind.search("ab", 0, 2)
    end = Matcher(re.compile(r"c$"))
    assert end.search("cd", 0, 1) and not end.search("cd", 0, 2)
    start = Matcher(re.compile(r"^d"))
    assert start.search("cd", 1, 2) and not start.search("cd", 0, 2)


def test_search_bounds_behave_as_slice_bounds():
    compiled_or_skip("_fastmatch")
    pattern = re.compile(r"bc")
    compiled = Matcher(pattern)
    text = "abcd"
    for start in range(-6, 7):
        for end in range(-6, 7):
            assert compiled.search(text, start, end) == (pattern.search(text[start:end]) is not None), (start, end)


@pytest.mark.parametrize("source, flags", [
    (r"\bceo\b", 0),          # word boundaries: keywords._compile rewrites them first
    (r"ceo", re.IGNORECASE),  # flags
    (r"a*", 0),               # can match the empty string
    (r"(ab)+", 0),            # a repeat of more than one character
    (r"ab*?", 0),             # a lazy repeat
    (r"(a)\1", 0),            # a back-reference
    (r"a.b", 0),              # any character
])
def test_syntax_outside_the_subset_is_left_to_re(source, flags):
    pattern = re.compile(source, flags)
    fallback = Matcher(pattern)
    assert not fallback.compiled
    for text in ["", "ceo CEO ab abab aad aab cd abd", "xx"]:
        assert fallback.spans(text) == _re_spans(pattern, text)
        assert fallback.search(text, 1, len(text)) == (pattern.search(text[1:]) is not None)


def test_without_the_module_re_matches_and_keywords_answer_the_same(monkeypatch):
    pattern = keywords.ROLE_PATTERNS["executive"]
    text = normalize_text("元CTO。現在は株式会社ABC代表取締役社長")
    monkeypatch.setattr(matcher, "fastmatch", None)
    plain, together = Matcher(pattern), MatcherSet([pattern, keywords.CLAUSE_SPLIT_RE])
    assert not plain.compiled and not together.compiled
    assert plain.spans(text) == _re_spans(pattern, text) != []
    assert together.spans(text) == (_re_spans(pattern, text), _re_spans(keywords.CLAUSE_SPLIT_RE, text))


def test_the_module_rejects_bad_arguments_with_errors():
    fastmatch = compiled_or_skip("_fastmatch")
    good = fastmatch.compile(*matcher.program(re.compile("ab|c")))
    with pytest.raises(TypeError):
        fastmatch.find_all(good, b"ab")
    with pytest.raises(TypeError):
        fastmatch.search(good, "ab", 0)
    with pytest.raises(ValueError):
        fastmatch.find_all(object(), "ab")  # not a matcher capsule
    with pytest.raises(TypeError):
        fastmatch.compile(((),), ())  # alternatives and firsts of different lengths
    for program in [((((9, 0),),), (None,)),                    # unknown node kind
                    ((((0, 0, 0, (1,), 1, 1),),), (None,)),       # odd range bounds
                    ((((0, 0, 0, (0, 0x110000), 1, 1),),), (None,)),  # not a code point
                    ((((0, 0, 0, (97, 97), 2, 1),),), (None,)),   # max below min
                    ((((0, 0, 0, (97, 97), 1, 1),),), ((-1,),)),  # a first character that is no code point
                    ((("not a node",),), (None,))]:
        with pytest.raises(ValueError):
            fastmatch.compile(*program)
    with pytest.raises(TypeError):
        fastmatch.compile_set(tuple([good] * 65))


def test_long_adversarial_text_is_matched_as_re_does():
    # The longest text a bio keeps (normalize_text's max_chars), made to backtrack: greedy runs
    # with no ending, at many positions. Recursion depth follows the pattern, not the text.
    compiled_or_skip("_fastmatch")
    text = normalize_text(("chief " + "a " * 300 + "最高" + "技" * 10 + "株式会社" + "x" * 30) * 40)
    assert len(text) == 10_000
    for pattern in [keywords.ROLE_PATTERNS["executive"], re.compile(r"chief [a-z ]*officer|[^。]{0,5000}y")]:
        assert Matcher(pattern).spans(text) == _re_spans(pattern, text)


@pytest.fixture
def re_only_keywords(monkeypatch):
    """training.keywords with every pattern matched by re: the reference the compiled code must equal."""
    with monkeypatch.context() as patch:
        patch.setattr(matcher, "fastmatch", None)
        plain = {name: Matcher(getattr(keywords, pattern)) for name, pattern in [
            ("_SPLIT", "CLAUSE_SPLIT_RE"), ("_CURRENT", "CURRENT_CLAUSE_RE"), ("_PAST", "PAST_CLAUSE_RE"),
            ("_PAST_PREFIX", "PAST_PREFIX_RE")]}
        roles = MatcherSet(keywords.ROLE_PATTERNS.values())
    for name, plain_matcher in plain.items():
        monkeypatch.setattr(keywords, name, plain_matcher)
    monkeypatch.setattr(keywords, "_ROLE_MATCHERS", roles)
    monkeypatch.setattr(keywords, "_CLAUSES_COMPILED", False)
    monkeypatch.setattr(keywords, "_CUES_COMPILED", False)
    keywords.clause_spans.cache_clear()
    yield keywords
    keywords.clause_spans.cache_clear()


def test_compiled_clauses_and_cue_columns_equal_the_re_path(fuzzed_texts, monkeypatch, re_only_keywords):
    fastmatch = compiled_or_skip("_fastmatch")
    compiled = {name: Matcher(getattr(keywords, pattern)) for name, pattern in [
        ("split", "CLAUSE_SPLIT_RE"), ("current", "CURRENT_CLAUSE_RE"), ("past", "PAST_CLAUSE_RE"),
        ("prefix", "PAST_PREFIX_RE")]}
    roles = MatcherSet(keywords.ROLE_PATTERNS.values())
    vocabulary = {f"kw:{role}:{tense}": column for column, (role, tense) in enumerate(
        (role, tense) for role in keywords.ROLE_PATTERNS for tense in ("plain", "past", "current", "first"))
        if column % 5}  # some cues missing from the vocabulary, as in a model trained without them
    table = keywords.cue_column_table(vocabulary)
    assert table.count(-1) == len(table) - len(vocabulary)
    for text in fuzzed_texts:
        spans = re_only_keywords.clause_spans.__wrapped__(text)
        assert fastmatch.clause_spans(compiled["split"].capsule, compiled["current"].capsule, compiled["past"].capsule,
                                      keywords._PAST_BOUNDARY_WORDS, text) == spans, text
        for first_clause in (True, False):
            expected = sorted(c for c in map(vocabulary.get, re_only_keywords.keyword_cues(text, first_clause))
                              if c is not None)
            columns = fastmatch.cue_columns(roles.capsule, compiled["prefix"].capsule, keywords.PAST_PREFIX_WINDOW,
                                            text, spans, first_clause,
                                            table)
            assert sorted(columns) == expected, (text, first_clause)


def test_keywords_take_the_compiled_path_also_for_str_subclasses():
    # The compiled functions read any str, a subclass's characters included.
    compiled_or_skip("_fastmatch")
    assert keywords._CLAUSES_COMPILED and keywords._CUES_COMPILED
    table = keywords.cue_column_table({"kw:executive:plain": 0, "kw:executive:first": 1})

    class Text(str):
        pass

    assert keywords.cue_columns("abc社 取締役", True, table) == [0, 1]
    assert keywords.cue_columns(Text("abc社 取締役"), True, table) == [0, 1]
    assert keywords.keyword_matches(Text("元cto")) == keywords.keyword_matches("元cto") == [("kw:executive:past", "cto")]
    assert keywords.clause_spans(Text("元記者。現在は編集長")) == keywords.clause_spans("元記者。現在は編集長")


def test_clause_and_cue_functions_reject_bad_arguments_with_errors():
    fastmatch = compiled_or_skip("_fastmatch")
    split, current, past, prefix = (keywords._SPLIT.capsule, keywords._CURRENT.capsule, keywords._PAST.capsule,
                                    keywords._PAST_PREFIX.capsule)
    roles = keywords._ROLE_MATCHERS.capsule
    table = (-1,) * (4 * len(keywords.ROLE_PATTERNS))
    with pytest.raises(TypeError):
        fastmatch.clause_spans(split, current, past, ["を経て"], "a")  # boundaries not a tuple
    with pytest.raises(TypeError):
        fastmatch.clause_spans(split, current, past, (1,), "a")
    with pytest.raises(ValueError):
        fastmatch.clause_spans(roles, current, past, (), "a")  # a set where a matcher goes
    with pytest.raises(ValueError):
        fastmatch.cue_columns(roles, prefix, 8, "a", (), True, table[:-1])
    with pytest.raises(TypeError):
        fastmatch.cue_columns(roles, prefix, 8, "a", ((0, 1),), True, table)
    with pytest.raises(ValueError):
        fastmatch.cue_columns(roles, prefix, 8, "a", ((0, 1, "future"),), True, table)
    for spans in [((-1, 1, ""),), ((0, 2, ""),), ((1, 1, ""), (0, 1, "")), ((1, 0, ""),)]:
        with pytest.raises(ValueError, match="spans"):  # outside the text, out of order, or end before start
            fastmatch.cue_columns(roles, prefix, 8, "a", spans, True, table)
    with pytest.raises(ValueError):
        fastmatch.cue_columns(roles, prefix, -1, "a", (), True, table)
    with pytest.raises(ValueError):
        fastmatch.cue_columns(split, prefix, 8, "a", (), True, table)  # a matcher where the set goes
    assert fastmatch.cue_columns(roles, prefix, 8, "", (), False, table) == []
    assert fastmatch.clause_spans(split, current, past, (), "") == ()


def test_str_subclasses_and_huge_bounds_are_matched_as_re_does():
    compiled_or_skip("_fastmatch")

    class Text(str):
        pass

    pattern = re.compile(r"bc|記者")
    compiled = Matcher(pattern)
    text = Text("abcd 記者")
    assert compiled.spans(text) == _re_spans(pattern, text) == [1, 3, 5, 7]
    assert compiled.search(text, 0, 2**70) and not compiled.search(text, -(2**70), 2)
    assert MatcherSet([pattern]).spans(text) == ([1, 3, 5, 7],)


def test_patterns_too_long_to_match_within_a_bounded_stack_are_left_to_re():
    compiled_or_skip("_fastmatch")
    long_chain = re.compile("a?" * 300 + "b")
    deep = re.compile("(?:" * 100 + "ab" + "|cd)" * 100)
    for pattern in (long_chain, deep):
        assert not Matcher(pattern).compiled
    text = "a" * 300 + "b"
    assert Matcher(long_chain).spans(text) == _re_spans(long_chain, text)


def test_deeply_nested_programs_are_refused_with_an_error():
    fastmatch = compiled_or_skip("_fastmatch")
    program = ((0, 0, 0, (97, 97), 1, 1),)
    for _ in range(1000):
        program = ((1, (program,)),)
    with pytest.raises(ValueError, match="nests deeper"):
        fastmatch.compile((program,), (None,))


def test_an_alternation_of_many_words_is_indexed_in_order():
    # The first-character index lists each alternative once per character, in the pattern's order.
    compiled_or_skip("_fastmatch")
    words = [f"{chr(0x4E00 + i % 500)}{chr(0x4E00 + i)}" for i in range(20_000)] + ["一", "一丁目"]
    pattern = re.compile("|".join(words) + "|[^x]丁|.")
    compiled = Matcher(re.compile("|".join(words) + "|[^x]丁"))
    assert compiled.compiled
    text = "一丁目" + "".join(words[::997])
    assert compiled.spans(text) == _re_spans(compiled.pattern, text)
    assert not Matcher(pattern).compiled  # "." is outside the subset
