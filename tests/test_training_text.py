"""Normalisation, tokenisation and clause tense: the text side of the model."""
import pickle
import threading

import pytest

from training.keywords import clause_spans, keyword_cues
from training.normalize import EMOJI_OR_INVISIBLE_RE, MAYBE_EMOJI_OR_INVISIBLE_RE, normalize_text
from training.tokenizer import MeCabTokenizer


def test_full_width_forms_become_half_width_and_lower_case():
    assert normalize_text("ＣＥＯ　ＡＢＣ株式会社") == "ceo abc株式会社"


def test_urls_emails_and_handles_become_placeholders():
    text = normalize_text("詳細は https://example.com/me へ。連絡 me@example.com @taro_dev")
    assert "example" not in text
    assert "url" in text and "email" in text and "@user" in text


def test_at_sign_in_a_title_is_kept_as_text():
    assert "google" in normalize_text("Engineer @ Google")


def test_emoji_and_control_characters_are_removed():
    assert normalize_text("エンジニア🎉\x07です\x00") == "エンジニア です"


def test_the_cheap_precheck_finds_every_character_the_emoji_scan_replaces():
    # normalize_text skips the emoji and invisible-character scan when the precheck finds nothing,
    # so a character the scan replaces but the precheck misses would be kept.
    missed = [hex(code) for code in range(0x110000)
              if EMOJI_OR_INVISIBLE_RE.match(chr(code)) and not MAYBE_EMOJI_OR_INVISIBLE_RE.match(chr(code))]
    assert missed == []


@pytest.mark.parametrize("text, expected", [
    ("記者\u200bです", "記者 です"),          # zero-width space alone
    ("CTO👍🏻です", "cto です"),               # emoji with a skin tone outside the BMP
    ("📚著者", "著者"),                           # emoji at the start, then stripped
    ("\ue001編集長", "編集長"),                  # private use
    ("𠮷野家の店長", "𠮷野家の店長"),            # a kanji outside the BMP is kept
])
def test_emoji_and_invisible_characters_in_and_outside_the_bmp(text, expected):
    assert normalize_text(text) == expected


def test_runs_of_spaces_and_tabs_become_one_space():
    assert normalize_text("営業部\t\t課長　　 山田  太郎 ") == "営業部 課長 山田 太郎"


def test_lone_surrogates_are_removed_so_the_text_can_be_encoded():
    text = normalize_text("記者\ud800です")
    assert text.encode("utf-8") == "記者 です".encode("utf-8")


def test_line_breaks_become_sentence_ends():
    assert normalize_text("編集者\n猫が好き") == "編集者。猫が好き"


def test_text_is_cut_at_max_chars():
    assert len(normalize_text("あ" * 100_000, max_chars=500)) == 500


def test_non_string_is_rejected():
    with pytest.raises(TypeError):
        normalize_text(None)


def test_tokenizer_splits_japanese_into_words():
    assert MeCabTokenizer().tokenize("株式会社の広報部長") == ["株式", "会社", "の", "広報", "部", "長"]


def test_tokenizer_survives_pickling():
    tokenizer = pickle.loads(pickle.dumps(MeCabTokenizer()))
    assert tokenizer.tokenize("記者です") == ["記者", "です"]


def test_tokenizer_gives_the_same_tokens_under_concurrent_use():
    tokenizer = MeCabTokenizer()
    texts = [f"株式会社{i}の営業部長として{i}年勤務" for i in range(200)]
    expected = [tokenizer.tokenize(t) for t in texts]
    results = {}

    def work(offset):
        results[offset] = [tokenizer.tokenize(t) for t in texts]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results.values())


def test_clause_before_wo_hete_is_past_and_genzai_clause_is_current():
    clauses = clause_spans(normalize_text("新聞社で記者を経て、現在は広報部長"))
    assert clauses[0][2] == "past"
    assert clauses[-1][2] == "current"


def test_moto_prefix_marks_a_keyword_as_past():
    assert keyword_cues(normalize_text("元CTO")) == ["kw:executive:past"]


def test_daihyo_wo_tsutomeru_is_a_current_executive_cue_but_daihyo_riji_is_not():
    assert "kw:executive:plain" in keyword_cues(normalize_text("〇〇 Japanの代表を務めています"))
    assert "kw:executive:plain" not in keyword_cues(normalize_text("NPO法人の代表理事"))


def test_zenshoku_marks_the_next_title_as_past():
    assert "kw:executive:past" in keyword_cues(normalize_text("Head of Engineering｜前職CTO"))


def test_latin_keywords_match_only_whole_words():
    assert keyword_cues(normalize_text("doctor")) == []
    assert "kw:executive:plain" in keyword_cues(normalize_text("CEO"))


def test_first_clause_keywords_get_cues_of_their_own():
    text = normalize_text("株式会社サクラ 代表取締役。元新聞記者。著書『小さな会社』")
    cues = keyword_cues(text, first_clause=True)
    assert "kw:executive:first" in cues
    assert not any(cue.endswith(":first") and not cue.startswith("kw:executive") for cue in cues)
    assert not any(cue.endswith(":first") for cue in keyword_cues(text))


@pytest.mark.parametrize("text", ["株式会社ヨツバシステム", "㈱ ナンブ", "三河精工株式会社", "有限会社4410",
                                  "Lotus Works Co., Ltd.", "株式会社ミナミ\n"])
def test_a_bio_that_is_only_an_organisation_name_gets_its_own_cue(text):
    assert "kw:org_only:plain" in keyword_cues(normalize_text(text))


@pytest.mark.parametrize("text", ["株式会社ヨツバシステム 代表取締役", "株式会社ヒカリ 総務部", "株式会社ABCを設立",
                                  "株式会社サクラに勤務。営業を担当", "エンジニア"])
def test_an_organisation_name_with_anything_more_gets_no_org_only_cue(text):
    assert not any(cue.startswith("kw:org_only") for cue in keyword_cues(normalize_text(text)))


def test_the_rule_baseline_reads_no_role_from_an_organisation_name():
    from training.keywords import keyword_roles

    assert keyword_roles(normalize_text("株式会社ヨツバシステム")) == []


def test_first_clause_words_are_features_of_their_own():
    from training.features import BioAnalyzer

    text = normalize_text("編集者。趣味は登山")
    with_first = BioAnalyzer(char_ngrams=(0, 0), first_clause=True)(text)
    without = BioAnalyzer(char_ngrams=(0, 0))(text)
    assert "f:編集" in with_first and "f:登山" not in with_first
    assert sorted(f for f in with_first if not f.startswith("f:")) == sorted(without)
