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




def mentions(text: str) -> list[str]:
    """@handles in a text, as written (``@ines@mastodon.social`` → ``ines@mastodon.social``)."""
    return [m.rstrip(".-") for m in _MENTION.findall(text or "")]


def leading_mentions(text: str) -> list[str]:
    """The @handles a text opens with (who a reply is addressed to on most platforms)."""
    head = re.match(r"^(?:\s*[.\W]?\s*@[\w.\-@]+[\s,:]*)+", text or "")
    return mentions(head.group(0)) if head else []


def handle_variants(handle: str) -> set[str]:
    """Spellings under which a mentioned handle may have been stored as an author."""
    base = {handle, handle.lower()}
    return base | {"@" + h for h in base}
