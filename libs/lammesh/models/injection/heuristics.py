"""Fast rules for prompt injection: phrases, framing and hidden payloads. Pure functions.

Each rule yields Signals with a strength in 0..1 and the character span it matched; the ensemble
(lammesh.models.injection.detector) weighs them together with the encoder head. Hidden payloads
are found by the mesh's one decoder of hidden text (lammesh.watchers.reveal: base16/32/64/85,
rot13, Atbash, Morse, leetspeak, Unicode tags, zero-width characters, homoglyphs), decoded and
handed back, so the ensemble scores what the payload says, not only that it is there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lammesh.watchers import reveal

# Categories are the ensemble's features; keep the order stable (it is saved with the weights).
CATEGORIES = (
    "instruction_override",
    "system_marker",
    "roleplay_framing",
    "restriction_removal",
    "prompt_extraction",
    "concealment",
    "encoded_payload",
    "invisible_characters",
)


@dataclass(frozen=True)
class Signal:
    category: str
    strength: float
    start: int
    end: int
    detail: str


@dataclass(frozen=True)
class Decoded:
    """A hidden payload found in the text, decoded."""

    kind: str
    start: int
    end: int
    text: str


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.UNICODE)


_OVERRIDE = [
    _rx(
        r"\b(ignore|disregard|forget|skip|overlook|set aside|pay no attention to|do not follow|don't follow|stop following|override)\b"
        r"[\w\s,'-]{0,30}?\b(instructions?|directions|guidelines|rules|prompts?|directives|orders|system prompt|task)\b"
    ),
    _rx(
        r"\b(previous|prior|above|earlier|original|preceding)\s+(instructions?|directions|rules|guidelines)\s+(are|were)\s+(cancel+ed|outdated|void|a test|no longer)"
    ),
    _rx(r"\b(your|the)\s+(guidelines|rules|instructions)\s+no longer apply\b"),
    _rx(r"\bforget (everything|all)( you were told| above| before)?\b"),
    _rx(r"\b(your )?real (instructions|task) (is|are)\b"),
    _rx(
        r"\bignorier\w*\s+(alle\s+)?(vorherigen\s+|bisherigen\s+)?anweisungen\b|\bvergiss\s+(deine|alle)\s+(regeln|anweisungen)\b"
    ),
    _rx(
        r"\bignore[sz]?\s+(toutes\s+)?les\s+instructions\b|\boublie\s+(tes|vos|toutes)\s+(les\s+)?(règles|instructions)\b"
    ),
    _rx(r"\bignora\s+(todas\s+)?las\s+instrucciones\b|\bolvida\s+(tus|todas)\s+(las\s+)?(reglas|instrucciones)\b"),
    # Other languages the mesh's users write in: "ignore / forget the (previous) instructions".
    _rx(
        r"\b(negeer|vergeet)\s+(alle\s+)?(de\s+|je\s+|jouw\s+)?(vorige\s+|eerdere\s+)?(instructies|regels|opdrachten)\b"
    ),
    _rx(
        r"\b(ignora|dimentica)\s+(tutte\s+)?(le\s+)?(tue\s+)?(istruzioni|regole)\b"
        r"|\b(ignore|ignora|esqueça|esqueca)\s+(todas\s+)?(as\s+)?(suas\s+)?(instruções|instrucoes|regras)\b"
    ),
    _rx(
        r"\b(önceki|tüm|bütün|verilen)\s+(tüm\s+)?(talimat|komut|kural|yönerge)\w*\s+(yok\s+say|görmezden\s+gel|unut|dikkate\s+alma|boşver)"
        r"|\b(talimat|kural|yönerge)(ları|leri)(nı|ni)?\s+(yok\s+say|görmezden\s+gel|unut)"
    ),
    _rx(
        r"\b(игнорируй|проигнорируй|забудь|не\s+обращай\s+внимания\s+на)\s+(все\s+)?(свои\s+|предыдущие\s+|прежние\s+)*(инструкци|указани|правил)\w*"
    ),
    _rx(
        r"\b(zignoruj|ignoruj|zapomnij)\s+(o\s+)?(wszystkie\s+|wszystkich\s+|swoje\s+|swoich\s+|poprzednie\s+|wcześniejsze\s+)*(instrukcj|polece|zasad|reguł)\w*"
    ),
    _rx(r"(忽略|无视|忽视|忘记|忘掉|不要理会)[^。\n]{0,8}(指令|指示|说明|规则|提示)"),
    _rx(r"(指示|命令|ルール|指令)(を|は)?(すべて|全て)?(無視|忘れ)"),
    _rx(r"(지시|지침|명령|규칙)\w{0,3}\s*(모두\s*)?(무시|잊어)"),
    _rx(r"(تجاهل|انسَ|انس)\s+(جميع\s+|كل\s+)?(التعليمات|الأوامر|القواعد)"),
]
_SYSTEM_MARKER = [
    _rx(r"#{2,}\s*(new\s+)?(system|admin|developer)?\s*(instructions?|prompt|override)\s*#*"),
    _rx(r"<\|?(im_start|system|endoftext)\|?>|\[/?(system|inst)\]"),
    _rx(
        r"^\s*(system|note to (the )?(ai|assistant|agent)|attention (ai|assistant))\s*:",
    ),
    _rx(r"\b(priority|administrator|admin) (instruction|override)\b"),
    _rx(r"\bnew (system )?instructions?\s*:"),
]
_ROLEPLAY = [
    _rx(r"\byou are (now|no longer)\b"),
    _rx(r"\b(pretend|imagine) (that )?(you are|you're|to be)\b"),
    _rx(r"\b(act|acting|roleplay|role-play) as\b"),
    _rx(r"\bstay in character\b|\bdeveloper mode\b|\bjailbr(ea|o)k\w*\b|\bdo anything now\b"),
    re.compile(
        r"\bDAN\b(?=.{0,80}\b(mode|prompt|jailbreak|anything|restrictions|rules|character)\b)", re.DOTALL
    ),  # not Dan the colleague
    _rx(r"\blet'?s play a game\b|\bhypothetical (story|scenario)\b"),
    _rx(r"\bdu bist jetzt\b|\btu es maintenant\b|\bahora eres\b"),
    _rx(r"\bje bent nu\b|\bora sei\b|\bagora você é\b|\bsen artık\b|\bartık sen\b|\bтеперь ты\b|\bteraz jesteś\b"),
    _rx(r"你现在是|从现在起你是|あなたは今から|今からあなたは|너는 이제|당신은 이제|أنت الآن"),
]
_RESTRICTION_REMOVAL = [
    _rx(
        r"\b(no|without( any)?|free(d)? from( your)?)\s+(restrictions|rules|limitations|content polic(y|ies)|filters|safety guidelines|limits)\b"
    ),
    _rx(r"\bignore (all )?safety\b|\bunfiltered\b|\buncensored\b"),
    _rx(r"\bohne einschränkungen\b|\bsans restrictions\b|\bsin restricciones\b"),
    _rx(
        r"\bzonder (beperkingen|regels)\b|\bsenza (restrizioni|limiti|regole)\b|\bsem (restrições|restricoes|regras)\b"
        r"|\bkuralsız\b|\bkısıtlamasız\b|\bбез (ограничений|цензуры|правил)\b|\bbez (ograniczeń|cenzury)\b"
    ),
    _rx(r"没有(任何)?限制|不受(任何)?限制|制限なし|制限のない|제한\s*없(이|는)|بدون\s+(أي\s+)?قيود"),
]
_EXTRACTION = [
    _rx(
        r"\b(reveal|print|repeat|show|output|tell|echo|display|translate|summari[sz]e|begin[\w\s]{0,20}with)\b[\w\s'-]{0,30}?"
        r"\b(system (prompt|message)|initial instructions|hidden instructions|your instructions|context window|instructions (you were|that came)|rules your developers)\b"
    ),
    _rx(r"\bwhat (is|are|were) your (system prompt|instructions|rules)\b|\bwhat were you told\b"),
    _rx(r"\brepeat the text above\b|\bstarting with 'you are'"),
    _rx(
        r"\b(system-?prompt|systeemprompt|prompt (di )?sistema|prompt do sistema|sistem (istemi|komutu|talimatları)\w*"
        r"|системн\w+ (промпт|инструкци\w*)|prompt systemow\w*)\b"
    ),
    _rx(r"系统提示|系統提示|システムプロンプト|시스템 프롬프트|موجه النظام|تعليمات النظام"),
    _rx(
        r"\b(api (keys?|tokens?)|passwords?|credentials|secrets?)\b[\w\s]{0,25}\b(you (have|were)|in your (context|reply|answer|email))"
    ),
]
_CONCEALMENT = [
    _rx(r"\b(don'?t|do not|never|no need to) (mention|tell|log|report|inform|let \w+ know)\b"),
    _rx(r"\b(quietly|secretly|silently|covertly)\b"),
    _rx(r"\bwithout (asking|telling|confirmation|approval|notifying)\b"),
    _rx(r"\b(und erwähne es nicht|sans le dire|no lo menciones)\b"),
]

_TEXT_RULES = (
    ("instruction_override", 0.9, _OVERRIDE),
    ("system_marker", 0.6, _SYSTEM_MARKER),
    ("roleplay_framing", 0.35, _ROLEPLAY),
    ("restriction_removal", 0.8, _RESTRICTION_REMOVAL),
    ("prompt_extraction", 0.8, _EXTRACTION),
    ("concealment", 0.5, _CONCEALMENT),
)


def _text_signals(text: str, offset: int = 0, *, strength_scale: float = 1.0, tag: str = "") -> list[Signal]:
    signals = []
    for category, strength, patterns in _TEXT_RULES:
        for pattern in patterns:
            for match in pattern.finditer(text):
                signals.append(
                    Signal(
                        category,
                        strength * strength_scale,
                        offset + match.start(),
                        offset + match.end(),
                        f"{tag}{match.group(0)[:80]}",
                    )
                )
    return signals


def _emoji_tag_sequence(text: str, start: int) -> bool:
    """Subdivision flags (e.g. England) are U+1F3F4 followed by tag characters: legitimate."""
    return start > 0 and text[start - 1] == "\U0001f3f4"


_TAGS = re.compile("[\U000e0000-\U000e007f]+")
_MIXED_SCRIPT_WORD = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*[^\W\d_A-Za-z])\w{3,}\b")


# Letters of living Latin-script orthographies that happen to look like ASCII letters: Turkish and
# Azerbaijani dotless ı sits beside plain Latin letters in every other word ("kuralları").
_ORTHOGRAPHIC_LETTERS = frozenset("ı")


def _has_mixed_script_word(text: str) -> bool:
    """A word with Latin letters and look-alike letters of another script ("ІGNORE"), the
    homoglyph disguise; a text wholly in Cyrillic or Greek is just another language."""
    lookalikes = reveal.ascii_lookalikes()
    return any(
        any(c in lookalikes and c not in _ORTHOGRAPHIC_LETTERS for c in m.group(0) if not c.isascii())
        for m in _MIXED_SCRIPT_WORD.finditer(text)
    )


def find_hidden(text: str) -> list[Decoded]:
    """Every hidden payload: encoded runs that decode to words, Unicode-tag text, text with
    zero-width characters inside words or homoglyphs in words, and lines in a cipher."""
    hidden = [
        Decoded("unicode_tags", m.start(), m.end(), reveal.fold(m.group(0))[0])
        for m in _TAGS.finditer(text)
        if not _emoji_tag_sequence(text, m.start())
    ]
    for view in reveal.reveal(text, ciphers=True):
        if view.how == "folded":
            inside_words = [
                i
                for i, c in enumerate(text)
                if c in reveal.INVISIBLE and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
            ]
            if len(inside_words) >= 3:
                hidden.append(Decoded("zero_width", inside_words[0], inside_words[-1] + 1, view.text))
            elif _has_mixed_script_word(text):
                hidden.append(Decoded("homoglyphs", 0, len(text), view.text))
        elif view.how in ("base64", "base32", "ascii85", "hex"):
            if _mostly_words(view.text):
                hidden.append(Decoded(view.how, *view.run, view.text))
        else:
            hidden.append(Decoded(view.how, *view.run, view.text))
    return hidden


def _mostly_words(decoded: str) -> bool:
    """A decoded run worth scoring as words (not a key id or binary-looking bytes)."""
    if len(decoded) < 6:
        return False
    printable = sum(ch.isprintable() for ch in decoded)
    letters = sum(ch.isalpha() or ch == " " for ch in decoded)
    return printable / len(decoded) > 0.95 and letters / len(decoded) > 0.7 and " " in decoded


def scan(text: str) -> tuple[list[Signal], list[Decoded]]:
    """All rule signals in `text` (and inside its decoded hidden payloads), and the payloads."""
    signals = _text_signals(text)
    hidden = find_hidden(text)
    for payload in hidden:
        invisible = payload.kind in ("unicode_tags", "zero_width", "homoglyphs")
        signals.append(
            Signal(
                "invisible_characters" if invisible else "encoded_payload",
                0.9 if invisible else 0.4,
                payload.start,
                payload.end,
                f"{payload.kind}: {payload.text[:80]}",
            )
        )
        # What the payload says, at the payload's position, a little weaker than plain text.
        for inner in _text_signals(payload.text, strength_scale=1.0, tag=f"[{payload.kind}] "):
            signals.append(Signal(inner.category, inner.strength, payload.start, payload.end, inner.detail))
    return signals, hidden


def category_strengths(signals: list[Signal]) -> list[float]:
    """The strongest signal of each category, in CATEGORIES order (the ensemble's rule features)."""
    best = dict.fromkeys(CATEGORIES, 0.0)
    for signal in signals:
        best[signal.category] = max(best[signal.category], signal.strength)
    return [best[c] for c in CATEGORIES]
