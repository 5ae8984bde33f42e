"""Which audience texts are genuine questions to us: the text rules of the questions inbox.

A community manager's inbox holds questions that expect an answer from the brand. Question marks
alone are a poor guide: "Why is your service always so useless??" is a complaint, "How amazing is
this??" is praise, "Anyone know a good descaler?" asks the community, and "do you deliver on
saturdays" has no mark at all. These rules look at each clause: a clause asks when it opens like a
question (wh-word, an auxiliary before its subject, "any update", "I was wondering if") or ends in
"?"; the text is then set aside when it matches a rhetorical, exclamatory-praise or community
pattern. Who a question is addressed to and whether we answered it is decided from the thread in
:mod:`sounding.analysis.threads`.
"""

from __future__ import annotations

import re

from sounding import text_patterns

_LEAD = re.compile(
    r"^(?:@\S+|\W|_|hey|hi|hello|so|and|but|ok|okay|also|well|um|btw|plus|then|quick question|question|pls|please"
    r"|guys|folks|oh|ah|sorry|thanks|thank you)*\s*", re.I)
_AUX = (r"is|are|am|was|were|do|does|did|can|could|will|would|should|shall|may|might|has|have|had|isn'?t|aren'?t"
        r"|don'?t|doesn'?t|didn'?t|can'?t|won'?t|wouldn'?t|shouldn'?t|haven'?t|hasn'?t")
_SUBJECT = (r"i|you|u|ya|we|they|it|this|that|these|those|there|he|she|my|your|ur|our|their|the|a|an|any|anyone"
            r"|someone|y'?all|yall|one|mine|yours")
_OPENER = re.compile(
    r"^(?!what an?\b|how (?:nice|cool|sweet|lovely|awesome|great|good|amazing|fun|cute|sad|bad|rude|weird)\b)"
    rf"(?:(?:how|what|what'?s|whats|why|when|where|which|who|whom|whose|how'?s|wheres|where'?s)\b"
    rf"|(?:{_AUX})\s+(?:{_SUBJECT})\b"
    r"|any (?:update|news|word|eta|idea|chance|plans?|way|info|ideas|timeline|timeframe)s?\b)", re.I)
_INDIRECT = re.compile(
    r"\b(?:i was wondering|i'?m wondering|wondering (?:if|whether|when|how|what|why)|i wonder (?:if|whether)"
    r"|(?:can|could) (?:you|someone|somebody) (?:tell|let) me|let me know (?:if|when|whether|how|what|why)"
    r"|please (?:advise|confirm|let me know)|i'?d like to know|i need to know|is it possible to)\b", re.I)
_CLAUSES = re.compile(r"[^.!?\n;]+[.!?\n;]*")

_RHETORICAL = re.compile("|".join((
    r"\bwhy (?:is|are|was|were|do|does|did|would|can'?t|cannot|won'?t|don'?t|doesn'?t|isn'?t|aren'?t)\b[^?]*"
    r"\b(?:always|never|ever|even|so|such|keep|keeps|still|again|bother|seriously)\b",
    r"\bwhat(?:'?s| is) (?:wrong|up) with\b", r"\bwhat the (?:hell|heck|fuck|f)\b", r"\bwtf\b", r"\blmf?ao\b",
    r"\bare (?:you|u) (?:kidding|serious|joking|for real)\b", r"\bis this (?:a joke|for real|serious)\b",
    r"\bhow (?:hard|difficult) (?:is it|can it be|could it be)\b", r"\bhow many (?:more )?(?:times|hours|days|weeks|calls)\b",
    r"\bwho (?:thought|decided|designed|approved)\b", r"\bhow (?:is|was|can) (?:this|that|it) (?:ok|okay|acceptable|legal|fair)\b",
    r"^\W*(?:seriously|really)\W*\?", r"\bhow (?:dare|could) you\b", r"\bdo (?:you|u) (?:even|actually) (?:care|read|listen)\b",
    r"\b(?:is|does) (?:any ?one|any ?body) (?:there )?(?:actually |even )?(?:work|care|read|listen|answer)\w*",
    r"\bis it too much to ask\b", r"\bwhat'?s the point\b", r"\bwouldn'?t (?:you|u) (?:want|think)\b",
    r"\bso (?:you'?re|you are) (?:telling|saying)\b", r"\blet you know what\b", r"\b(?:more|any) excuses\b",
    r"\bhow (?:is|are) (?:this|that|these|you) (?:even )?(?:still )?(?:a )?(?:thing|allowed|possible)\b",
    r"\bhow would (?:you|u) know\b", r"\bhow about (?:you|u)(?: guys| people)? (?:show|do|try|call|give|get|just|actually)\b",
    r"\bmaybe (?:look into|try|consider|think about)\b",
)), re.I)
_INSULT = re.compile(r"\b(?:bs|bullshit|ffs|smh|pathetic|ridiculous|disgusting|joke|clowns?|idiots?|wtf|damn|hell)\b", re.I)
_SMALL_TALK = re.compile(r"^\W*(?:how are (?:you|u|ya)(?: doing)?|what'?s up|sup|how'?s it going)\W*$", re.I)
_EXCLAIM = re.compile(r"\?!|!\?|\?\?\?")
_PRAISE = re.compile("|".join((
    r"\bhow (?:awesome|amazing|cool|great|good|cute|beautiful|delicious|lovely|perfect|fun|adorable|gorgeous) (?:is|are|was|were)\b",
    r"\b(?:is|was) (?:this|it|that) the (?:best|greatest|cutest|coolest|nicest)\b", r"\bwho knew\b",
    r"\bcan (?:this|it|you|life) get any better\b", r"\bhow did i (?:ever )?live without\b",
    r"\b(?:isn'?t|aren'?t) (?:this|it|that|they|these) (?:just )?(?:amazing|great|awesome|beautiful|gorgeous|the best)\b",
)), re.I)
_COMMUNITY = re.compile("|".join((
    r"\b(?:does|do|has|have|did|can|could|would|will|is|are) (?:any ?one|any ?body|some ?one|some ?body|any of you"
    r"|y'?all|other people|others|everyone|people here)\b",
    r"^\W*(?:any ?one|any ?body) (?:know|knows|else|tried|here|have|has|got|using|use|ever)\b",
    r"\bwho else\b", r"\bam i the only one\b", r"\b(?:fellow|other) (?:customers|users|owners|fans|viewers|buyers)\b",
)), re.I)
_MENTION = text_patterns.MENTION
_NEGATIVE = re.compile(
    r"\b(?:again|still|delayed|late|cancel\w*|worst|terrible|awful|ridiculous|joke|robbery|excuses|useless|pathetic"
    r"|never|broken|scam|disgrace\w*|unacceptable)\b", re.I)
_POSITIVE = re.compile(
    r"\b(?:love|loving|best|amazing|awesome|great|yes|yay|perfect|brilliant|fantastic|beautiful|gorgeous)\b|!!|<3", re.I)


def _clauses(text: str) -> list[str]:
    text = _MENTION.sub("@user", text.replace("\u2019", "'"))  # dots inside handles do not end a clause
    return [c.strip() for c in _CLAUSES.findall(text) if c.strip()]


def _opens_like_question(clause: str) -> bool:
    return bool(_OPENER.match(_LEAD.sub("", clause, count=1)))


def question_form(text: str, clauses: list[str] | None = None) -> bool:
    """Some clause of ``text`` asks: a question opener, an indirect question, or a final '?'."""
    text = (text or "").replace("\u2019", "'")
    if _INDIRECT.search(text):
        return True
    return any(c.endswith("?") or _opens_like_question(c) for c in (_clauses(text) if clauses is None else clauses))


def _genuine_clause(clause: str) -> bool:
    """A clause that asks something and is not an elliptical exclamation ("Delayed AGAIN??", "Pumpkin spice??")."""
    if _opens_like_question(clause) or _INDIRECT.search(clause):
        return True
    if not clause.endswith("?"):
        return False
    if _opens_like_question(re.split(r"[,:\u2013\u2014]|\s-\s", clause)[-1]):  # "it never arrived, where is it?"
        return True
    # "So the caramel pods are gone for good?" asks; "order delayed AGAIN??" and "Best idea ever??" exclaim
    return not (_NEGATIVE.search(clause) or _POSITIVE.search(clause) or _EXCLAIM.search(clause) or "??" in clause)


def question_kind(text: str) -> str:
    """``genuine``, ``rhetorical``, ``praise``, ``community`` or ``none`` (no clause asks anything)."""
    text = (text or "").replace("\u2019", "'")
    clauses = _clauses(text)
    if not question_form(text, clauses) or all(_SMALL_TALK.match(_LEAD.sub("", c, count=1)) for c in clauses):
        return "none"
    if _RHETORICAL.search(text) or (_INSULT.search(text) and re.search(r"\bwhy\b", text, re.I)):
        return "rhetorical"
    if _PRAISE.search(text):
        return "praise"
    if _COMMUNITY.search(_LEAD.sub("", text, count=1)):
        return "community"
    if _EXCLAIM.search(text) and not any(_opens_like_question(c) for c in clauses):
        return "rhetorical"  # "Halloween?!??", "the power of $8!?"
    if any(_genuine_clause(c) for c in clauses):
        return "genuine"
    positive = _POSITIVE.search(text) and not _NEGATIVE.search(text)
    return "praise" if positive else "rhetorical"




#: Complaints dressed as questions, seen in the demo's inbox (issue 9): "Why not call it ...?",
#: "Why can't you answer?", "How is charging me twice a solution?", "Have you also cut the bins like
#: you have the seats?", "Does that even matter?", "wait what?", "am I overthinking this".
_SARCASTIC = re.compile("|".join((
    r"\bwhy not\b", r"\bwhy (?:can'?t|won'?t|don'?t|didn'?t|wouldn'?t|couldn'?t|haven'?t|hasn'?t) (?:you|u|y'?all|they)\b",
    r"\bhow (?:is|are|was|were) (?!\w+ing (?:to|on|with) )\w+ing\b", r"\blike you (?:have|did|do|always)\b",
    r"\b(?:does|did|would) (?:that|this|it) (?:even |really )?matter\b", r"\bwait,? what\b",
    r"\bam i (?:overthinking|crazy|wrong|dreaming|being|the only|missing something)\b", r"\bseems (?:like )?you\b",
    r"\b(?:you|u) want (?:me|us)? ?(?:to )?(?:believe|think)\b", r"\bwho (?:does|do) that\b",
    r"\bwhat(?:'?s| is) the point\b", r"\bdon'?t (?:you|u) think\b", r"\bhow (?:about|bout)\b",
    r"\bwhy\s*\?{3,}", r"\b(?:really|seriously)\s*\?+\W*$",
    r"\bso (?:you|u) (?:acknowledge|admit|agree|are saying|think|expect|want)\b",
)), re.I)
#: A yes/no question about "this"/"that" in an angry text is a jab ("He was rude. Is that a requirement?").
_DEICTIC = re.compile(r"^(?:is|was|are|were|does|did) (?:that|this|it) (?:a |the |really |even |normal|okay|ok|how)", re.I)
#: A wh-question inside a clause: "Out of curiosity what is the reason for the delay?"
_ASKS_INSIDE = re.compile(r"\b(?:what|when|where|why|how|which|who)(?:'s)? (?:is|are|was|were|do|does|did|can|could|will"
                          r"|would|should|has|have|long|much|many|soon|often)\b", re.I)
_ANGRY_EMOJI = re.compile("[\U0001F620\U0001F621\U0001F92C\U0001F44E\U0001F612\U0001F644]")  # angry, pouting, cursing, thumbs down, unamused, eye roll
_ANGRY = -0.3  # VADER compound at or below which a text is angry enough for those rules
#: Clauses that open like a question and ask nothing: "Have a good flight.", "How-the-ever, ...",
#: "When I got to T4", "How you treat your customers is saddening", "When confronted, he said ..."
#: (a wh-word before a subject or a participle, no "?"); quoted speech ("he asked “what language is that?”");
#: small talk ("how are you today?").
_START = r"(?:^|(?<=[.!;\n])|(?<=@user ))\s*(?:but |and |so |even )?"
_NO_MARK = r"(?![^.!?;\n]*\?)[^.!?;\n]*"  # ... when that clause has no "?"
_NOT_ASKING = re.compile("|".join((
    r"(?:^|(?<=[.!;\n]))\s*(?:and |so )?(?:have|had) an? (?![^.!?;\n]*\?)[^.!?;,\n]*", r"\b(?:how|what|why)-\S+",
    _START + r"(?:when|how|where|which|while|what) (?:i|i'm|im|we|we're|you|u|it|he|she|they|my|our|your|their|the"
    r"|this|that|is why)\b" + _NO_MARK,
    _START + r"(?:when|how|while) \w+ed\b" + _NO_MARK,
    r"[“\"][^”\"\n]{2,}[”\"]", r"\bhow (?:are|r) (?:you|u|ya|y'?all)(?: guys| doing| today)*\s*\?*",
)), re.I)


def _compound(text: str) -> float:
    from sounding.analysis.classify import _get_vectorizers

    return float(_get_vectorizers()[1].polarity_scores(text)["compound"])


def inbox_kind(text: str, sentiment: str | None = None) -> str:
    """:func:`question_kind`, stricter about complaints dressed as questions (the inbox's rule).

    Kept apart from :func:`question_kind`, whose answer is a feature of the trained intent heads.
    Besides the sarcastic forms above, a question that asks only by tone (a statement with "?") or
    by a yes/no about "this"/"that" is set aside when the text is angry: complaint words ("never",
    "again", "still", ...), an angry emoji, VADER compound <= -0.3, or ``sentiment`` (the analysed
    label, when there is one) negative.
    """
    text = _NOT_ASKING.sub(" ", _MENTION.sub("@user", (text or "").replace("\u2019", "'")))
    kind = question_kind(text)
    if kind != "genuine":
        return kind
    if _SARCASTIC.search(text):
        return "rhetorical"
    asking = [c for c in _clauses(text) if _genuine_clause(c)]
    if sentiment == "negative" or _NEGATIVE.search(text) or _ANGRY_EMOJI.search(text) or _compound(text) <= _ANGRY:
        opened = [c for c in asking if _opens_like_question(c) or _INDIRECT.search(c) or _ASKS_INSIDE.search(c)]
        if not opened or all(_DEICTIC.match(_LEAD.sub("", c, count=1)) for c in opened):
            return "rhetorical"
    return "genuine"


def mentions(text: str) -> list[str]:
    """@handles in a text, as written (``@ines@mastodon.social`` → ``ines@mastodon.social``)."""
    return [m.rstrip(".-") for m in _MENTION.findall(text or "")]


def lead_block(text: str) -> str:
    """The run of @handles a text opens with ("" when it opens with words)."""
    head = re.match(r"^(?:\s*[.\W]?\s*@[\w.\-@]+[\s,:]*)+", text or "")
    return head.group(0) if head else ""


def leading_mentions(text: str) -> list[str]:
    """The @handles a text opens with (who a reply is addressed to on most platforms)."""
    return mentions(lead_block(text))


_VOCATIVE = re.compile(r"(?:,|\s)\s*@([\w.\-]+(?:@[\w\-]+(?:\.[\w\-]+)+)?)\s*\?")


def vocatives(text: str) -> list[str]:
    """Handles a question is put to by name: "did it come, @sam?" → ``["sam"]``."""
    return [m.rstrip(".-") for m in _VOCATIVE.findall(text or "")]


def handle_variants(handle: str) -> set[str]:
    """Spellings under which a mentioned handle may have been stored as an author."""
    base = {handle, handle.lower()}
    return base | {"@" + h for h in base}
