"""What askbot says around an answer, in the reader's language.

The FAQ's own text is served in the reader's language when a translation file gives it; the
lines askbot adds itself (a clarify's question, a fallback's apology, the note that an answer
is in another language) are here, for the multilingual encoder's languages. A language not
listed gets English.
"""

from __future__ import annotations

from dataclasses import dataclass

# How each language names itself: a note names the language of the answer this way, so that a
# reader recognises it whatever language the note is in.
NATIVE_NAMES = {
    "ar": "العربية",
    "de": "Deutsch",
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "it": "Italiano",
    "ja": "日本語",
    "ko": "한국어",
    "nl": "Nederlands",
    "pl": "Polski",
    "pt": "Português",
    "ru": "Русский",
    "th": "ไทย",
    "tr": "Türkçe",
    "zh": "中文",
}

# key -> language -> line. "note" takes the native name of the answer's language.
LINES: dict[str, dict[str, str]] = {
    "clarify": {
        "en": "Did you mean one of these? Reply with a number or pick one.",
        "ar": "هل تقصد أحد هذه الأسئلة؟ أرسل رقمًا أو اختر واحدًا.",
        "de": "Meinten Sie eine dieser Fragen? Antworten Sie mit einer Nummer oder wählen Sie eine.",
        "es": "¿Quiso decir una de estas? Responda con un número o elija una.",
        "fr": "Vouliez-vous dire l'une de ces questions ? Répondez par un numéro ou choisissez-en une.",
        "it": "Intendevi una di queste? Rispondi con un numero o scegline una.",
        "ja": "次のどれかのことですか？番号で答えるか、一つ選んでください。",
        "ko": "다음 중 하나를 말씀하신 건가요? 번호로 답하거나 하나를 고르세요.",
        "nl": "Bedoelde u een van deze? Antwoord met een nummer of kies er een.",
        "pl": "Czy chodziło o jedno z tych pytań? Odpowiedz numerem lub wybierz jedno.",
        "pt": "Você quis dizer uma destas? Responda com um número ou escolha uma.",
        "ru": "Вы имели в виду один из этих вопросов? Ответьте номером или выберите вопрос.",
        "th": "คุณหมายถึงข้อใดข้อหนึ่งเหล่านี้หรือไม่ ตอบเป็นหมายเลขหรือเลือกหนึ่งข้อ",
        "tr": "Bunlardan birini mi demek istediniz? Bir numara yazın ya da birini seçin.",
        "zh": "您是指以下问题之一吗？请回复编号或选择一个。",
    },
    "fallback": {
        "en": "Sorry, I don't know the answer to that. Here are questions I can answer:",
        "ar": "عذرًا، لا أعرف الإجابة عن ذلك. هذه أسئلة يمكنني الإجابة عنها:",
        "de": "Das weiß ich leider nicht. Diese Fragen kann ich beantworten:",
        "es": "Lo siento, no sé la respuesta. Estas son preguntas que puedo responder:",
        "fr": "Désolé, je ne connais pas la réponse. Voici des questions auxquelles je peux répondre :",
        "it": "Mi dispiace, non conosco la risposta. Ecco le domande a cui so rispondere:",
        "ja": "すみません、その答えはわかりません。お答えできる質問はこちらです：",
        "ko": "죄송하지만 그 질문에는 답을 모릅니다. 답할 수 있는 질문은 다음과 같습니다:",
        "nl": "Sorry, daar weet ik het antwoord niet op. Deze vragen kan ik beantwoorden:",
        "pl": "Niestety nie znam odpowiedzi. Oto pytania, na które mogę odpowiedzieć:",
        "pt": "Desculpe, não sei a resposta. Estas são as perguntas que posso responder:",
        "ru": "Извините, я не знаю ответа. Вот вопросы, на которые я могу ответить:",
        "th": "ขออภัย ฉันไม่ทราบคำตอบ นี่คือคำถามที่ฉันตอบได้:",
        "tr": "Üzgünüm, bunun cevabını bilmiyorum. Cevaplayabileceğim sorular:",
        "zh": "抱歉，我不知道这个问题的答案。以下是我能回答的问题：",
    },
    "more": {
        "en": "That's all I have on this. Related questions:",
        "ar": "هذا كل ما لدي حول هذا الموضوع. أسئلة ذات صلة:",
        "de": "Mehr habe ich dazu nicht. Verwandte Fragen:",
        "es": "Eso es todo lo que tengo sobre esto. Preguntas relacionadas:",
        "fr": "C'est tout ce que j'ai à ce sujet. Questions liées :",
        "it": "È tutto quello che ho su questo. Domande correlate:",
        "ja": "これについては以上です。関連する質問：",
        "ko": "이에 대해서는 여기까지입니다. 관련 질문:",
        "nl": "Meer heb ik hier niet over. Verwante vragen:",
        "pl": "To wszystko, co mam na ten temat. Powiązane pytania:",
        "pt": "Isso é tudo o que tenho sobre isso. Perguntas relacionadas:",
        "ru": "Это всё, что у меня есть по этой теме. Похожие вопросы:",
        "th": "มีเท่านี้สำหรับเรื่องนี้ คำถามที่เกี่ยวข้อง:",
        "tr": "Bu konuda bu kadar. İlgili sorular:",
        "zh": "关于这个我只知道这些。相关问题：",
    },
    "note": {
        "en": "This answer is only available in {language}.",
        "ar": "هذه الإجابة متاحة فقط باللغة: {language}.",
        "de": "Diese Antwort gibt es nur auf {language}.",
        "es": "Esta respuesta solo está disponible en {language}.",
        "fr": "Cette réponse n'existe qu'en {language}.",
        "it": "Questa risposta è disponibile solo in {language}.",
        "ja": "この回答は{language}のみです。",
        "ko": "이 답변은 {language}로만 제공됩니다.",
        "nl": "Dit antwoord is alleen beschikbaar in het {language}.",
        "pl": "Ta odpowiedź jest dostępna tylko w języku: {language}.",
        "pt": "Esta resposta só está disponível em {language}.",
        "ru": "Этот ответ доступен только на языке: {language}.",
        "th": "คำตอบนี้มีเฉพาะภาษา {language}",
        "tr": "Bu yanıt yalnızca {language} dilinde mevcut.",
        "zh": "此回答仅提供{language}版本。",
    },
}


@dataclass(frozen=True, slots=True)
class ReplyLanguage:
    """Which language a message was read as, which one the answer is in, and the note that
    tells a reader when the two differ."""

    detected: str | None  # ISO 639-1; None when the message was too short or unclear to tell
    served: str
    note: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """As the chat API returns it."""
        return {"detected": self.detected, "served": self.served, "note": self.note}


def line(key: str, language: str | None) -> str:
    """One of askbot's own lines in ``language`` (English when it has none)."""
    lines = LINES[key]
    return lines.get(language or "en", lines["en"])


def localised_language(key: str, language: str | None) -> str:
    """The language ``line(key, language)`` is in."""
    return language if language in LINES[key] else "en"


def note_for(reader: str, served: str) -> str | None:
    """The note telling a reader of ``reader`` that the answer is in ``served`` (None if same).

    >>> note_for("de", "en")
    'Diese Antwort gibt es nur auf English.'
    """
    if reader == served:
        return None
    return line("note", reader).format(language=NATIVE_NAMES.get(served, served))
