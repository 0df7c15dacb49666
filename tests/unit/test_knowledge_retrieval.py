"""Retrieval and answers on the shipped knowledge base, and the quality gate."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from bot.knowledge import Answer, KnowledgeBase, Source, resolve_knowledge_dir
from bot.knowledge.evaluation import (
    Question,
    answer_metrics,
    gate_metrics,
    load_questions,
    retrieval_metrics,
)
from bot.knowledge.textproc import char_ngrams, detect_lang, stem, word_tokens

QUESTIONS = Path(__file__).resolve().parents[1] / "data" / "retrieval_questions.jsonl"

# Batches written after the code was final and scored once, never tuned on: their figures
# are reported as measured (docs/knowledge.md), the bars below hold on the other splits. A
# later change that learns from such a batch moves it out of this set. None now: the
# batches below were each scored once when written, then trained on and remembered by the
# reranker (leave-one-batch-out, bench/lobo_reranker.py, measured fewer wrong answers that
# way; docs/knowledge.md). holdout15 was scored once after that change and is not trained
# on (its two off-topic misses led to two unserved-request families), nor is holdout16,
# scored once after the general off-topic gate (its off-topic miss led to the jokes family,
# its unsure greeting to the presence family of meta_questions.toml), nor is holdout17,
# scored once after the somebody-else's-refund families (its restaurant bill led to the
# meal-or-shop family of other_refunds.toml), nor is holdout18, scored once after the
# higher cost of a wrong answer, nor holdout19, scored once after holdout18's fixes, nor holdout20, scored once after
# holdout19's.
UNTUNED_SPLITS = frozenset(
    {"holdout15", "holdout16", "holdout17", "holdout18", "holdout19", "holdout20"}
)
# the once-blind batches (holdout10: two words were taken from its first-score misses;
# holdout11: its off-topic miss led to the support-ticket phrases; holdout14: its
# off-topic miss led to the unserved-request families): held to their own bars
BATCHES = frozenset({"holdout10", "holdout11", "holdout12", "holdout13", "holdout14"})


def tuned_questions() -> list[Question]:
    return [q for q in load_questions(QUESTIONS) if q.split not in UNTUNED_SPLITS]


@cache
def shipped() -> KnowledgeBase:
    return KnowledgeBase.load()


def test_default_configuration_meets_the_quality_bar() -> None:
    """Quality gate: hit@3 >= 0.95 on the labelled questions with the default retriever."""
    questions = tuned_questions()
    assert sum(1 for q in questions if q.answerable) >= 60
    assert sum(1 for q in questions if not q.answerable) >= 10
    metrics = retrieval_metrics(shipped(), questions)
    assert metrics["hit@3"] >= 0.95, metrics["misses_at_3"]
    gate = gate_metrics(shipped(), questions)
    assert gate["accuracy"] >= 0.9, gate["wrong"]


def group(question: Question) -> str:
    """The part of the labelled set a question is held to its bars with: the tuned splits
    written before the `wide` one ("older"), `wide`, or the once-blind batches."""
    if question.split == "wide":
        return "wide"
    return "batches" if question.split in BATCHES else "older"


# (confident-right at least, confidently wrong below) of each group, asked as they are
# (in-sample: the reranker is trained on them and remembers them) and with each split left
# out of the memory. Measured with the shipped model: older 0.982 / 0 % and 0.960 / 0.8 %,
# `wide` 0.943 / 2.1 % and 0.844 / 10.5 %, the batches 0.966 / 0.6 % and 0.924 / 2.5 %
# (docs/knowledge.md, "The once-blind batches taken in"). The general off-topic gate turns
# three right answers of the older splits and two of `wide` unsure when their split is left
# out of the memory (0.960 -> 0.955, 0.844 -> 0.838; docs/knowledge.md, "A general
# off-topic gate"). The threshold chosen by the smoothed rule (0.50 -> 0.48) lets two more
# wrong answers of the batches through with their split left out (2.55 % -> 3.12 %; "A
# threshold that does not jump"). The split offtopic_refundwords (in-scope questions with
# the words of somebody else's refund) joined the older splits and the training: retrained,
# one older answer turns unsure with its split left out, and that split's English game card
# goes to causes-merchant (0.955 -> 0.9545; docs/knowledge.md, "Somebody else's refund").
# A confidently wrong answer weighed at 1.75 unsure ones instead of 1.5 (min_probability
# 0.45 -> 0.49; docs/knowledge.md, "The cost of a wrong answer, again") takes two wrong
# answers of `wide` in-sample (2.7 % -> 2.1 %) and one with its split left out (10.2 % ->
# 9.9 %); the older splits read 0.982 / 0 % and 0.956 / 1.0 %, the batches 0.969 / 0.6 %
# and 0.938 / 2.5 %.
IN_SAMPLE_BARS = {"older": (0.97, 0.02), "wide": (0.94, 0.025), "batches": (0.96, 0.01)}
LEFT_OUT_BARS = {"older": (0.954, 0.02), "wide": (0.84, 0.10), "batches": (0.93, 0.03)}


@pytest.mark.parametrize("name", sorted(IN_SAMPLE_BARS))
def test_confident_and_right_on_the_labelled_set(name: str) -> None:
    """What the buyer gets: a confident answer from a right section (unsure is a miss) on
    >= 97 % of the tuned splits written before `wide`, confidently wrong on < 2 %,
    off-topic never confident. The `wide` split (buyer questions aimed at neighbouring
    sections) and the once-blind batches are held to what they scored (IN_SAMPLE_BARS).
    All are trained on and the reranker's memory holds their questions, so these figures
    are in-sample; see the next test."""
    questions = [q for q in tuned_questions() if group(q) == name]
    metrics = answer_metrics(shipped(), questions)
    right, wrong = IN_SAMPLE_BARS[name]
    assert metrics["n"] >= 300
    assert metrics["confident_right"] >= right, metrics["misses"]
    assert metrics["confident_wrong"] < wrong, metrics["misses"]
    assert metrics["offtopic_confident"] == 0, metrics["misses"]
    if name == "older":
        assert metrics["forms"]["n"] >= 60  # buyer wording: traditional, abbreviations, typos
    if name == "batches":
        assert {q.split for q in questions} == BATCHES


@pytest.mark.parametrize("name", sorted(LEFT_OUT_BARS))
def test_confident_and_right_without_remembering_the_question(name: str) -> None:
    """The same questions, each split answered with a memory that leaves its own questions
    out (as a new question is answered; the weights are still trained on them): the older
    splits lose a little (the 0.97 target is not met this way), `wide` much more
    (LEFT_OUT_BARS; docs/knowledge.md)."""
    questions = [q for q in tuned_questions() if group(q) == name]
    metrics = answer_metrics(shipped(), questions, own_memory=False)
    right, wrong = LEFT_OUT_BARS[name]
    assert metrics["confident_right"] >= right, metrics["misses"]
    assert metrics["confident_wrong"] < wrong, metrics["misses"]


# off-topic questions answered with confidence and not fixed yet; every other off-topic
# question must stay unsure, and a fix of one of these must take it off this list. (The
# `wide` split's three and holdout14's one were fixed by the unserved-request families of
# bot/knowledge/unserved_requests.toml, docs/knowledge.md; holdout19's one, a platform
# account's password, by the family of an account's settings.)
KNOWN_OFFTOPIC_MISSES: frozenset[str] = frozenset()


def test_off_topic_is_never_confident_on_any_batch() -> None:
    """Including the batches never tuned on."""
    questions = [q for q in load_questions(QUESTIONS) if not q.answerable]
    assert {q.split for q in questions} >= BATCHES | {"wide"}
    metrics = answer_metrics(shipped(), questions)
    confident = {m["q"] for m in metrics["misses"] if m["verdict"] == "offtopic_confident"}
    assert confident == KNOWN_OFFTOPIC_MISSES, metrics["misses"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("银行卡退款一般要几天到账?", "arrival-times"),
        ("商家说卡密已经核销,可我一次都没用过", "false-redemption"),
        ("扣了两次款怎么办", "duplicate-charge"),
        ("七天无理由退货适用点卡吗", "no-seven-day-return"),
        ("有人让我交解冻费才给退款", "scams"),
    ],
)
def test_chinese_questions(question: str, expected: str) -> None:
    answer = shipped().ask(question)
    assert answer.lang == "zh"
    assert answer.confident
    assert expected in [s.id for s in answer.sources]
    top = answer.sources[0]
    assert top.id not in answer.answer and top.title in answer.answer  # titles, never internal ids


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how long for a refund to a bank card?", "arrival-times"),
        ("the merchant says it was redeemed but I never used it", "false-redemption"),
        ("I was charged twice", "duplicate-charge"),
        ("can I appeal the decision?", "appeals"),
    ],
)
def test_english_questions(question: str, expected: str) -> None:
    answer = shipped().ask(question)
    assert answer.lang == "en"
    assert answer.confident
    assert expected in [s.id for s in answer.sources]
    assert all(s.lang == "en" for s in answer.sources)


@pytest.mark.parametrize(
    "question", ["今天天气怎么样", "write me a poem", "how do I cook rice", "", "???"]
)
def test_off_topic_is_not_confident(question: str) -> None:
    answer = shipped().ask(question)
    assert not answer.confident
    assert "客服" in answer.answer or "support" in answer.answer


def test_language_override_and_sources_shape() -> None:
    answer = shipped().ask("银行卡退款多久到账", lang="en", k=2)
    assert isinstance(answer, Answer) and answer.lang == "en"
    assert len(answer.sources) <= 2
    assert all(isinstance(s, Source) and s.lang == "en" for s in answer.sources)
    as_dict = answer.to_dict()
    assert set(as_dict) >= {"answer", "confident", "sources"}
    assert set(as_dict["sources"][0]) >= {"id", "title", "text", "score"}


def test_section_lookup() -> None:
    kb = shipped()
    zh = kb.section("arrival-times")
    en = kb.section("arrival-times", lang="en")
    assert zh is not None and zh.title == "退款到账时间" and "2–5" in zh.text
    assert en is not None and en.lang == "en" and en.title == "Refund arrival times"
    assert kb.section("no-such-id") is None
    assert {"arrival-times", "scams", "real-refunds"} <= kb.section_ids()


def test_missing_translation_falls_back_to_chinese(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "## 春节客服时间 {#holiday-hours}\n\n春节期间人工客服 10 点到 18 点在线。\n",
        encoding="utf-8",
    )
    kb = KnowledgeBase.load(tmp_path)
    section = kb.section("holiday-hours", lang="en")
    assert section is not None and section.lang == "zh"
    assert kb.search("春节客服", lang="en")[0].id == "holiday-hours"


def test_langchain_retrievers_match_the_knowledge_base() -> None:
    kb = shipped()
    for mode in ("bm25", "tfidf", "lexical"):
        retriever = kb.retriever("zh", mode, k=3)
        assert isinstance(retriever, BaseRetriever)
        docs = retriever.invoke("退款到银行卡要多久")
        assert docs and all(isinstance(d, Document) for d in docs)
        assert {"section_id", "title", "lang", "score"} <= set(docs[0].metadata)
        assert (
            docs[0].metadata["section_id"] == kb.search("退款到银行卡要多久", "zh", mode=mode)[0].id
        )
    with pytest.raises(ValueError):
        kb.retriever("zh", "embeddings")


def test_tokenizers() -> None:
    assert "核销" in word_tokens("商家说已核销")
    assert "银行卡" in word_tokens("退到银行卡") and "银行" in word_tokens("退到银行卡")
    assert word_tokens("Refunds were REFUNDED") == ["refund", "refund"]
    assert "的" not in word_tokens("我的订单")
    assert word_tokens("到帐") == word_tokens("到账")
    assert stem("charged") == stem("charge")
    assert "<re" in char_ngrams("refund") and "银行" in char_ngrams("银行卡")
    assert detect_lang("卡密无效怎么办") == "zh"
    assert detect_lang("my 卡密 does not work, what can I do") == "en"


def test_knowledge_dir_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KNOWLEDGE_DIR", raising=False)
    assert resolve_knowledge_dir() == Path(__file__).resolve().parents[2] / "knowledge"
    monkeypatch.setenv("KNOWLEDGE_DIR", str(tmp_path))
    assert resolve_knowledge_dir() == tmp_path
    assert resolve_knowledge_dir(tmp_path / "x") == tmp_path / "x"


def test_replacing_the_knowledge_directory(tmp_path: Path) -> None:
    (tmp_path / "only.md").write_text(
        "## 会员自动续费 {#auto-renew}\n\n会员自动续费可以在会员中心关闭,关闭后下个周期不再扣费。\n",
        encoding="utf-8",
    )
    kb = KnowledgeBase.load(tmp_path)
    assert kb.section_ids() == {"auto-renew"}
    answer = kb.ask("会员自动续费怎么关闭")
    assert answer.confident and answer.sources[0].id == "auto-renew"
    assert not kb.ask("银行卡退款多久到账").confident


def test_buyer_vocabulary_expands_questions_only() -> None:
    from bot.knowledge.textproc import expand_query, gate_words, query_word_tokens

    assert "责任" in query_word_tokens("哪些情况算商家的锅")
    assert "deliver" in query_word_tokens("the seller still hasn't sent the code")
    assert "charg" in query_word_tokens("got billed twice")
    assert word_tokens("steam key") == ["steam", "key"]  # the documents' tokenizer is unchanged
    assert "code" in query_word_tokens("steam key")
    assert expand_query("今天天气怎么样") == "今天天气怎么样"
    # the gate counts the question's own words; a phrase's words stand in for them
    words = dict(gate_words("扣了两次款怎么办"))
    assert "重复扣款" in words["两次"] and words["款"] == ()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("哪些情况算商家的锅", "causes-merchant"),
        ("what counts as buyer fault", "causes-buyer"),
        ("hi, paid 2 days ago and the seller still hasn't sent the code. refund?", "undelivered"),
        ("对处理结果不服 怎么办", "appeals"),
    ],
)
def test_buyer_words_are_understood(question: str, expected: str) -> None:
    answer = shipped().ask(question)
    assert answer.confident
    assert expected in [s.id for s in answer.sources]


@pytest.mark.parametrize(
    ("word", "confident"),
    [("fees", True), ("退款", True), ("company", False), ("connection", False), ("broken", False)],
)
def test_a_single_word_question_needs_a_topic_word(word: str, confident: bool) -> None:
    """ "fees" names a topic; "company" is only a word the texts happen to use."""
    assert shipped().ask(word).confident is confident


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("昨天下的单到现在都没发,会退到哪里", "arrival-times"),  # 单到, 会退
        ("退款會退到哪裡", "arrival-times"),
        ("手续费怎么算的", "fees"),
        ("申诉要交啥材料", "appeals"),
    ],
)
def test_segmentation_glue_of_a_text_word_and_a_function_character_is_known(
    question: str, expected: str
) -> None:
    """jieba glues a text word to a function character (单到, 会退); the gate counts such a
    token as known when its characters are text words or function words."""
    answer = shipped().ask(question)
    assert answer.confident and expected in [s.id for s in answer.sources[:3]]


@pytest.mark.parametrize(
    "question",
    [
        "今天股市怎么样",
        "推荐一部好看的电影",
        "宽带怎么办理",
        "明天会下雨吗",
        "医保怎么报销",
        "帮我看看今天天气怎么样",
    ],
)
def test_glued_tokens_do_not_make_off_topic_questions_confident(question: str) -> None:
    assert not shipped().ask(question).confident


@pytest.mark.parametrize(
    "question", ["best phone to buy this year", "买什么手机好", "good game to buy"]
)
def test_everyday_words_alone_are_not_a_refund_question(question: str) -> None:
    assert not shipped().ask(question).confident


def test_a_word_the_texts_use_in_another_sense_counts_half() -> None:
    """The texts' "ticket" is a support ticket: a concert ticket's refund is not a question
    for this platform (a ticket no other-business word names), opening a refund ticket is."""
    kb = shipped()
    assert not kb.ask("can i get my concert ticket refunded").confident
    assert kb.ask("how do i open a refund ticket").confident


@pytest.mark.parametrize(
    ("token", "known"),
    [
        ("会退", True),  # function character + text word
        ("单到", True),
        ("会退股", False),  # an unknown character in it
        ("看看", False),  # text characters only: a word of its own, not a glue
        ("会的", False),  # function characters only
        ("退款了", False),  # 款 is not a text word here
        ("refund", False),  # not Chinese
    ],
)
def test_the_glue_rule_on_its_own(token: str, known: bool) -> None:
    from bot.knowledge.gate import known_words

    vocabulary = {"退", "单", "看"}
    function_words = {"会", "到", "的", "了"}
    assert known_words([(token, ())], vocabulary, function_words) == (1.0 if known else 0.0)


def test_search_treats_courtesies_and_aliases_like_ask() -> None:
    """`search` gives the sources `ask` would: a courtesy its small-talk section, a message
    that is a section's alias that section first; a courtesy before a question is dropped."""
    kb = shipped()
    assert [s.id for s in kb.search("你好")] == ["greeting"]
    assert [s.id for s in kb.search("thanks a lot")] == ["thanks"]
    assert kb.search("订单号在哪")[0].id == "order-number"
    # hard negatives: a real question after a courtesy is searched as a question
    assert kb.search("你好，退款到银行卡多久到账")[0].id == "arrival-times"
    assert kb.search("thanks, how long until the refund reaches my bank card")[0].id != "thanks"


@pytest.mark.parametrize(
    ("question", "confident"),
    [
        ("12306火车票退票要扣多少手续费", False),
        ("机票退了多久能到账", False),
        ("airline refund for a cancelled flight, how long", False),
        ("hotel booking refund fee", False),
        ("my ebay parcel not arrived", False),
        ("courier never delivered my order", False),
        ("my code has not arrived yet", True),  # a code is delivered, not shipped
        ("点卡退款要扣多少手续费", True),  # the same words, about what the platform sells
        ("退款多久能到账", True),
        ("how long does a refund take to arrive", True),
    ],
)
def test_refunds_of_other_businesses_are_not_answered_with_confidence(
    question: str, confident: bool
) -> None:
    assert shipped().ask(question).confident is confident


def test_the_evaluation_can_leave_a_splits_questions_out_of_the_memory() -> None:
    """A labelled question the reranker answers right because it remembers it."""
    kb = shipped()
    memory = kb.reranker.memory if kb.reranker is not None else None
    question = Question("重复支付的 两个订单号都要填吗", "zh", ("duplicate-charge",), True, "wide")
    assert answer_metrics(kb, [question])["confident_right"] == 1.0
    assert answer_metrics(kb, [question], own_memory=False)["confident_right"] == 0.0
    assert kb.reranker is not None and kb.reranker.memory is memory  # put back


# requests the assistant does not serve, in the words the texts use in another sense
UNSERVED = [
    ("recommend me a good phone under 2000 yuan", "recommend or compare products"),
    ("can you recommend a good laptop", "recommend or compare products"),
    ("best phone to buy under 3000", "recommend or compare products"),
    ("推荐个好玩的手游呗", "recommend or compare products"),
    ("买什么手机好", "recommend or compare products"),
    ("iPhone 和安卓哪款性价比高", "recommend or compare products"),
    ("这款耳机值得买吗", "recommend or compare products"),
    ("你会写代码吗 帮我写个python", "write or fix program code"),
    ("帮我写一段代码", "write or fix program code"),
    ("fix my python script", "write or fix program code"),
    ("write me some code for a website", "write or fix program code"),
    ("原神新版本什么时候出", "release news of a game or product"),
    ("王者荣耀新赛季几号开始", "release news of a game or product"),
    ("新手机什么时候发布", "release news of a game or product"),
    ("when does the new season come out", "release news of a game or product"),
    ("release date of the new iphone", "release news of a game or product"),
    ("怎么注册支付宝账号", "open an account elsewhere"),
    ("如何注册微信号", "open an account elsewhere"),
    ("how do i sign up for paypal", "open an account elsewhere"),
    ("how to create an account on steam", "open an account elsewhere"),
    ("帮我写一篇关于秋天的作文", "write an essay, a poem or other texts"),
    ("能帮我写首诗吗", "write an essay, a poem or other texts"),
    ("帮我做下数学作业", "write an essay, a poem or other texts"),
    ("write a poem about the sea for my girlfriend", "write an essay, a poem or other texts"),
    ("can you do my homework", "write an essay, a poem or other texts"),
    ("帮我查下快递到哪了", "track a parcel or a physical shipment"),
    ("顺丰快递单号怎么查", "track a parcel or a physical shipment"),
    ("淘宝买的衣服怎么查物流", "track a parcel or a physical shipment"),
    ("how do i track my package from amazon", "track a parcel or a physical shipment"),
    ("where is my shipment", "track a parcel or a physical shipment"),
    ("给我讲个关于银行卡的笑话", "tell a joke or a story, or keep company for fun"),
    ("无聊 来段相声", "tell a joke or a story, or keep company for fun"),
    ("睡不着 陪我聊会儿天", "tell a joke or a story, or keep company for fun"),
    ("tell me a joke about refunds", "tell a joke or a story, or keep company for fun"),
    ("can you tell me a bedtime story", "tell a joke or a story, or keep company for fun"),
    ("sing me a song", "tell a joke or a story, or keep company for fun"),
]

# hard negatives: questions in scope with the same words (phone credit, an error code or a
# card code, an account topped up, writing the refund request, a new card, Alipay payment)
IN_SCOPE_SAME_WORDS = [
    "my phone credit card 100 yuan not arrived",
    "phone credit not received",
    "充值码激活的时候一直报错误代码",
    "怎么用支付宝付款",
    "支付宝付款了没到账",
    "i entered the code but it says invalid",
    "what do i write in the refund request",
    "the merchant released the code but it does not work",
    "充值的账号写错了一位数字",
    "申请退款要写什么理由",
    "新买的点卡没到账",
    "what do you recommend i do if the merchant does not answer",
    "退款理由怎么写",
    "how do i write an email to the merchant",
    "点卡怎么查物流",
    "卡密发货了怎么查",
    "the code shows delivered but i have no package",
    "商家是在开玩笑吗 卡密一直不发",
    "商家讲了个故事说卡密被别人用了 能退吗",
]


@pytest.mark.parametrize(("question", "kind"), UNSERVED)
def test_requests_the_assistant_does_not_serve_are_never_confident(
    question: str, kind: str
) -> None:
    from bot.knowledge.gate import unserved_request

    assert unserved_request(question) == kind
    assert not shipped().ask(question).confident


@pytest.mark.parametrize(
    "question",
    [*IN_SCOPE_SAME_WORDS, "错误代码 E102 什么意思", "this is a joke, where is my refund"],
)
def test_in_scope_questions_with_the_same_words_are_no_unserved_request(question: str) -> None:
    from bot.knowledge.gate import unserved_request

    assert unserved_request(question) is None


@pytest.mark.parametrize("question", IN_SCOPE_SAME_WORDS)
def test_in_scope_questions_with_the_same_words_stay_confident(question: str) -> None:
    """The unserved-request families do not rule them out: the gate lets them through
    (whether the answer is then confident is the reranker's call between neighbours: "怎么
    用支付宝付款" is unsure between payment-dispute and arrival-times)."""
    from bot.knowledge.gate import is_confident

    assert is_confident(shipped().confidence(question))


def test_unserved_request_families_are_read_from_their_file(tmp_path: Path) -> None:
    from bot.knowledge.gate import unserved_patterns, unserved_request

    path = tmp_path / "unserved.toml"
    path.write_text(
        '[[request]]\nkind = "weather"\nzh = ["天气"]\nen = ["\\\\bweather\\\\b"]\n', "utf-8"
    )
    assert [(kind, lang) for kind, lang, _ in unserved_patterns(path)] == [
        ("weather", "zh"),
        ("weather", "en"),
    ]
    assert unserved_request("what is the weather today", path) == "weather"
    assert unserved_request("退款多久到账", path) is None
    bad = tmp_path / "bad.toml"  # the patterns of a path are cached: another file
    bad.write_text('[[request]]\nkind = "bad"\nen = ["(unclosed"]\n', "utf-8")
    with pytest.raises(ValueError, match="bad pattern for bad"):
        unserved_patterns(bad)


def test_word_lists_match_the_stemmed_question_words() -> None:
    """The gate sees stems ("phone" -> "phon"): a weak word still counts half in its
    stemmed form."""
    from bot.knowledge.gate import known_words

    assert known_words([("phon", ())], {"phon"}) == 0.5
    assert known_words([("phone", ())], {"phone"}) == 0.5


# another business's goods or services (other_refunds.toml) in every form a buyer writes
# them: plural and inflected English, traditional characters, full-width letters, a word
# inside a longer one (高铁票, 火车票)
OTHER_BUSINESS_FORMS = [
    ("airlines refund fee how long", "a trip, a stay or a show"),
    ("the trains were cancelled, refund fee?", "a trip, a stay or a show"),
    ("ＨＯＴＥＬ refund how many days", "a trip, a stay or a show"),
    ("高鐵票退票手續費多少", "a trip, a stay or a show"),
    ("航班取消了退款多久到账", "a trip, a stay or a show"),
    ("12306退款多久到", "a trip, a stay or a show"),
    ("民宿订金能退吗", "a trip, a stay or a show"),
    ("my new shoes came broken, refund fee?", "a physical parcel or household goods"),
    ("衣服退款多久到账", "a physical parcel or household goods"),
    ("冰箱坏了能退款吗", "a physical parcel or household goods"),
]

# hard negatives: the same words with goods the platform sells, and words that only
# contain an entry's letters
OTHER_BUSINESS_NEGATIVES = [
    "在平台买的电影票兑换码没到账",
    "bought a flight simulator gift card here and the code is invalid",
    "the seller's training video said the code works, it does not",
    "my refund was restrained by the bank, how long",
    "充值卡是在酒店前台买的 卡密无效",
]


@pytest.mark.parametrize(("question", "kind"), OTHER_BUSINESS_FORMS)
def test_other_businesses_are_found_in_every_form(question: str, kind: str) -> None:
    from bot.knowledge import gate

    assert gate.other_refund(question) == kind
    assert gate.ruled_out(question) == kind
    assert shipped().confidence(question) <= gate.RULED_OUT_MAX
    assert not shipped().ask(question).confident


@pytest.mark.parametrize("question", OTHER_BUSINESS_NEGATIVES)
def test_other_business_words_do_not_rule_out_the_buyers_own_order(question: str) -> None:
    from bot.knowledge import gate

    assert gate.other_refund(question) is None
    assert gate.ruled_out(question) is None


def test_one_normalisation_serves_both_rule_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ruled_out` normalises the question once and reads the unserved requests and
    somebody else's refund from that one text."""
    from bot.knowledge import gate

    seen: list[str] = []
    real = gate.normalise

    def counting(text: str) -> str:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(gate, "normalise", counting)
    assert gate.ruled_out("個稅退稅多久能到賬") == "a tax refund"
    assert gate.ruled_out("帮我写一段代码") == "write or fix program code"
    assert gate.ruled_out("退款多久到账") is None
    assert seen == ["個稅退稅多久能到賬", "帮我写一段代码", "退款多久到账"]


# ---------------------------------------------------------------- somebody else's refund

# refund questions made of the policy's words about another party's refund (a tax refund, a
# gym, a bank loan, a phone contract, a concert ticket): each was answered with confidence
# before the families of bot/knowledge/other_refunds.toml (split offtopic_refundwords)
OTHER_REFUNDS = [
    ("个税退税多久能到账", "a tax refund"),
    ("健身房跑路了 办的年卡钱能退吗", "a gym, a club or a course"),
    ("my landlord won't return my security deposit", "rent and a landlord's deposit"),
    ("can I get a refund on my gym membership if I move away", "a gym, a club or a course"),
    ("paid off my bank loan early, can I get the interest refunded", "a bank loan"),
    ("how do I cancel my phone contract without paying a penalty", "a phone contract or a utility"),
    ("the concert was cancelled, when do I get my ticket money back", "a trip, a stay or a show"),
    (
        "the restaurant charged my card twice, how do i get it back",
        "a meal, a shop or a service in person",
    ),
    ("超市买的东西过期了能退吗", "a meal, a shop or a service in person"),
]

# hard negatives: the buyer's own order on the platform with the same words (a scammer's
# "deposit" or loan, a phone-credit top-up, a membership code), and questions that name a
# party of a family together with goods the platform sells
IN_SCOPE_REFUND_WORDS = [
    "自称客服的人让我先交保证金才给退款",
    "对方说要退款得先去网贷平台借一笔钱",
    "a caller said I must take out a loan before my refund can be paid",
    "my phone credit top-up was paid but never arrived",
    "话费充值付了钱 号码上一直没到账",
    "the membership code I bought here says it was already redeemed",
    "在平台买的健身房会员兑换码没到账",  # a family's party, a code of the platform
    "bought a gym membership gift card here and the code is invalid",
    "在平台买的超市购物卡卡密无效",  # a shop of the new family, a code of the platform
    "bought a restaurant gift card here and the code is invalid",
    "my kid used the school fees to buy roblox credit, can I get a refund",  # virtual goods
]


@pytest.mark.parametrize(("question", "kind"), OTHER_REFUNDS)
def test_somebody_elses_refund_is_never_confident(
    question: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The family names whose refund it is, and the gate keeps the question below the bar;
    with the families switched off, the same question is answered with confidence."""
    from bot.knowledge import gate

    assert gate.other_refund(question) == kind
    assert not shipped().ask(question).confident
    assert shipped().confidence(question) <= gate.RULED_OUT_MAX
    monkeypatch.setattr(gate, "other_refund_patterns", lambda path=None: ((), ()))
    assert shipped().ask(question).confident


@pytest.mark.parametrize("question", IN_SCOPE_REFUND_WORDS)
def test_the_buyers_own_refund_with_the_same_words_stays_covered(question: str) -> None:
    from bot.knowledge.gate import is_confident, other_refund

    assert other_refund(question) is None
    assert is_confident(shipped().confidence(question))


def test_other_refund_families_are_read_from_their_file(tmp_path: Path) -> None:
    """Families and the goods that override them come from the file; without a family the
    question is not ruled out."""
    from bot.knowledge.gate import other_refund, other_refund_patterns

    path = tmp_path / "other.toml"
    path.write_text(
        '[[refund]]\nkind = "tax"\nzh = ["退税"]\nen = ["\\\\btax\\\\b"]\n'
        '[[goods]]\nkind = "codes"\nen = ["\\\\bcode\\\\b"]\n',
        "utf-8",
    )
    families, goods = other_refund_patterns(path)
    assert [(kind, lang) for kind, lang, _ in families] == [("tax", "zh"), ("tax", "en")]
    assert len(goods) == 1
    assert other_refund("how long does a tax refund take", path) == "tax"
    assert other_refund("退税多久到账", path) == "tax"
    assert other_refund("my tax software code does not work", path) is None  # goods named
    assert other_refund("my gym membership refund", path) is None  # no family here
    assert other_refund("tax refund for my netflix plan", path) is None  # virtual goods


# ---------------------------------------------------------------- the general off-topic gate

# off-topic questions of the unserved-request families that the general gate keeps unsure
# when the families are switched off (leave-one-family-out, bench/offtopic_retrieval.py),
# and requests of kinds no family lists (a broken laptop, a driving test)
FOREIGN_REQUESTS = [
    "你会写代码吗 帮我写个python",
    "原神新版本什么时候出",
    "京东买的快递怎么查物流",
    "my laptop screen is broken where to fix",
    "驾照考试多久出成绩",
]

# hard negatives: in scope, with a word neither the texts nor a labelled question use (a
# video site's membership, a game's credit)
IN_SCOPE_BUYER_WORDS = [
    "爱奇艺会员没到账",
    "b站大会员没到账",
    "芒果tv会员怎么退",
    "哔哩哔哩大会员怎么退款",
    "q币充值没到账",
    "腾讯视频会员充值失败",
    "spotify premium code not working",
    "switch eshop card invalid",
]


def _families_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.knowledge import gate

    monkeypatch.setattr(gate, "unserved_patterns", lambda path=gate.UNSERVED_FILE: ())


@pytest.mark.parametrize("question", FOREIGN_REQUESTS)
def test_requests_outside_the_domain_are_unsure_without_a_family(
    question: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The general gate, not a family's patterns, keeps them unsure: with the gate switched
    off as well they would be answered with confidence."""
    from bot.knowledge import gate

    _families_off(monkeypatch)
    assert gate.unserved_request(question) is None
    assert not shipped().ask(question).confident
    monkeypatch.setattr(gate, "FOREIGN_SHARE", float("inf"))
    assert shipped().ask(question).confident


@pytest.mark.parametrize("question", IN_SCOPE_BUYER_WORDS)
def test_in_scope_questions_with_buyer_words_stay_confident(question: str) -> None:
    assert shipped().ask(question).confident


def test_foreign_share_counts_words_neither_the_texts_nor_the_buyers_use() -> None:
    from bot.knowledge.gate import foreign_request, foreign_share

    words = [("refund", ()), ("gym", ()), ("tk", ("退款",)), ("原神", ())]
    assert foreign_share(words, {"refund", "退款"}, set()) == 0.25  # gym; 原神 is sold goods
    assert foreign_share(words, {"refund", "退款"}, {"gym"}) == 0.0
    assert foreign_share([], {"refund"}, set()) == 0.0
    assert foreign_request(0.25, 0.1)
    assert not foreign_request(0.25, 0.25)  # a labelled question is near enough
    assert not foreign_request(0.1, 0.1)  # most words are the domain's
    assert not foreign_request(1.0, None)  # no memory: nothing ruled out


def test_the_gate_reads_the_words_of_the_labelled_questions_it_remembers() -> None:
    from bot.knowledge.rerank import Memory

    memory = Memory([("原神648没到账", "zh", ("undelivered",)), ("gym card refund", "en", ())])
    assert "原神" in memory.words("zh")
    assert "gym" in memory.words("en")
    assert "gym" not in memory.words("zh")
