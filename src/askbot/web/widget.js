/*! askbot FAQ widget: dependency-free, no build step.
 *
 * Embed with one tag (any page, any origin allowed by the server's CORS list):
 *   <script src="https://faq.example.org/widget.js" data-collection="my-article" async></script>
 * Attributes:
 *   data-collection  id of the collection whose questions are offered (optional)
 *   data-api         API base URL; default: the folder this script was loaded from
 *   data-mount       CSS selector: render inline inside that element, with no launcher
 *   data-lang        language of the widget, e.g. "ko"; default: the page's <html lang>, else
 *                    English. Built in: en ar de es fr it ja ko nl pl pt ru th tr zh (the
 *                    primary subtag counts: "ko-KR" is ko, "zh-Hant" is zh). Sent to the API
 *                    as `lang` (in each message and the collection read): the reader's language.
 *   data-strings     JSON object that overrides UI strings (keys: see STRINGS.en below), e.g.
 *                    data-strings='{"title": "Fragen zum Artikel", "send": "Senden"}'. With
 *                    data-strings, a language that is not built in (say "he") is used as is:
 *                    the page supplies its own translation. ar, fa, he and ur lay out right to left.
 *
 * Theming: set custom properties on the page, e.g. `askbot-widget { --askbot-accent: #8a1538 }`
 *   --askbot-accent      launcher, header, your messages, send button   (#1d4ed8)
 *   --askbot-on-accent   text and icons on the accent colour            (#fff)
 *   --askbot-bg          panel background                               (#fff)
 *   --askbot-text        text                                           (#1f2937)
 *   --askbot-muted       secondary text                                 (#4b5563)
 *   --askbot-bot-bg      the assistant's bubbles                        (#f1f3f6)
 *   --askbot-line        borders                                        (#d1d5db)
 *   --askbot-focus       focus ring                                     (the accent)
 *   --askbot-font        font stack                                     (system-ui, ...)
 *   --askbot-radius      panel corner radius                            (14px)
 *   --askbot-width, --askbot-height   panel size (380px, 600px; inline height 560px)
 *   --askbot-z           z-index of launcher and panel                  (2147483000)
 * Keep text/background pairs at WCAG AA contrast (4.5:1) when changing them.
 *
 * Content-Security-Policy the host page needs: script-src and connect-src allowing the API
 * origin ('self' when the page and API share it). Styles are a constructable stylesheet adopted
 * by the shadow root, which style-src does not govern; only browsers without adoptedStyleSheets
 * (Safari < 16.4) fall back to a <style> element and then need style-src 'unsafe-inline'.
 * No eval, no inline script, no style attributes. A cross-origin API must expose Retry-After
 * (Access-Control-Expose-Headers) for the 429 wait hint to show.
 *
 * Safety: all user, server and translated text goes in through text nodes or setAttribute,
 * never innerHTML, so markup in an answer or a question shows literally.
 */
(() => {
  'use strict';
  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script) return;
  const ds = script.dataset;
  const API = (ds.api || new URL('.', script.src).href).replace(/\/+$/, '');
  const COLL = ds.collection || '';
  const LOW = 0.5; // below this confidence an answer carries the "not fully sure" note
  const KEY = 'askbot:' + API + ':' + COLL;
  // UI strings in the multilingual encoder's languages; a missing key falls back to English.
  // `wait` keeps its {s} (seconds); Polish and Russian abbreviate the unit to dodge plural forms.
  const STRINGS = {
    en: {
      title: 'Questions about this article',
      launcher: 'Ask a question',
      close: 'Close',
      restart: 'Start over',
      greeting: 'Hi! I answer questions about this article. Pick one below or ask your own.',
      label: 'Your question',
      placeholder: 'Type your question…',
      send: 'Send',
      log: 'Conversation',
      you: 'You:',
      bot: 'Assistant:',
      typing: 'Assistant is typing',
      suggested: 'Suggested questions',
      related: 'Related questions',
      pick: 'Choose one',
      tryThese: 'Questions I can answer',
      unsure: 'I’m not fully sure — this is my closest match:',
      helpful: 'Was this helpful?',
      yes: 'Helpful',
      no: 'Not helpful',
      thanks: 'Thanks — your feedback was recorded.',
      fbError: 'Sorry, your feedback could not be sent.',
      offline: 'I can’t reach the answer service right now. Please check your connection and try again.',
      busy: 'Lots of questions right now. Please wait a moment and try again.',
      wait: 'Please wait {s} seconds and try again.',
      error: 'Something went wrong on our side. Please try again.',
      retry: 'Retry',
    },
    ar: {
      title: 'أسئلة حول هذا المقال',
      launcher: 'اطرح سؤالًا',
      close: 'إغلاق',
      restart: 'البدء من جديد',
      greeting: 'مرحبًا! أجيب عن الأسئلة المتعلقة بهذا المقال. اختر سؤالًا من الأسفل أو اكتب سؤالك.',
      label: 'سؤالك',
      placeholder: 'اكتب سؤالك…',
      send: 'إرسال',
      log: 'المحادثة',
      you: 'أنت:',
      bot: 'المساعد:',
      typing: 'المساعد يكتب',
      suggested: 'أسئلة مقترحة',
      related: 'أسئلة ذات صلة',
      pick: 'اختر واحدًا',
      tryThese: 'أسئلة يمكنني الإجابة عنها',
      unsure: 'لست متأكدًا تمامًا، وهذه أقرب إجابة:',
      helpful: 'هل كان هذا مفيدًا؟',
      yes: 'مفيد',
      no: 'غير مفيد',
      thanks: 'شكرًا، تم تسجيل ملاحظاتك.',
      fbError: 'عذرًا، تعذّر إرسال ملاحظاتك.',
      offline: 'لا يمكنني الوصول إلى خدمة الإجابات الآن. يُرجى التحقق من اتصالك والمحاولة مرة أخرى.',
      busy: 'هناك أسئلة كثيرة الآن. يُرجى الانتظار قليلًا والمحاولة مرة أخرى.',
      wait: 'يُرجى الانتظار {s} ثانية ثم المحاولة مرة أخرى.',
      error: 'حدث خطأ من جهتنا. يُرجى المحاولة مرة أخرى.',
      retry: 'إعادة المحاولة',
    },
    de: {
      title: 'Fragen zu diesem Artikel',
      launcher: 'Frage stellen',
      close: 'Schließen',
      restart: 'Neu beginnen',
      greeting: 'Hallo! Ich beantworte Fragen zu diesem Artikel. Wählen Sie unten eine aus oder stellen Sie Ihre eigene.',
      label: 'Ihre Frage',
      placeholder: 'Frage eingeben…',
      send: 'Senden',
      log: 'Unterhaltung',
      you: 'Sie:',
      bot: 'Assistent:',
      typing: 'Der Assistent schreibt',
      suggested: 'Vorgeschlagene Fragen',
      related: 'Ähnliche Fragen',
      pick: 'Bitte wählen Sie eine aus',
      tryThese: 'Fragen, die ich beantworten kann',
      unsure: 'Ich bin mir nicht ganz sicher – das passt am besten:',
      helpful: 'War das hilfreich?',
      yes: 'Hilfreich',
      no: 'Nicht hilfreich',
      thanks: 'Danke – Ihr Feedback wurde gespeichert.',
      fbError: 'Ihr Feedback konnte leider nicht gesendet werden.',
      offline: 'Der Antwortdienst ist gerade nicht erreichbar. Bitte prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
      busy: 'Gerade kommen sehr viele Fragen. Bitte warten Sie einen Moment und versuchen Sie es erneut.',
      wait: 'Bitte warten Sie {s} Sekunden und versuchen Sie es erneut.',
      error: 'Bei uns ist etwas schiefgelaufen. Bitte versuchen Sie es erneut.',
      retry: 'Erneut versuchen',
    },
    es: {
      title: 'Preguntas sobre este artículo',
      launcher: 'Haz una pregunta',
      close: 'Cerrar',
      restart: 'Empezar de nuevo',
      greeting: '¡Hola! Respondo preguntas sobre este artículo. Elige una de abajo o escribe la tuya.',
      label: 'Tu pregunta',
      placeholder: 'Escribe tu pregunta…',
      send: 'Enviar',
      log: 'Conversación',
      you: 'Tú:',
      bot: 'Asistente:',
      typing: 'El asistente está escribiendo',
      suggested: 'Preguntas sugeridas',
      related: 'Preguntas relacionadas',
      pick: 'Elige una',
      tryThese: 'Preguntas que puedo responder',
      unsure: 'No estoy del todo seguro; esta es la respuesta más parecida:',
      helpful: '¿Te ha resultado útil?',
      yes: 'Útil',
      no: 'No es útil',
      thanks: 'Gracias: hemos registrado tu opinión.',
      fbError: 'Lo sentimos, no se ha podido enviar tu opinión.',
      offline: 'Ahora mismo no puedo conectar con el servicio de respuestas. Comprueba tu conexión y vuelve a intentarlo.',
      busy: 'Hay muchas preguntas en este momento. Espera un poco y vuelve a intentarlo.',
      wait: 'Espera {s} segundos y vuelve a intentarlo.',
      error: 'Algo ha fallado por nuestra parte. Vuelve a intentarlo.',
      retry: 'Reintentar',
    },
    fr: {
      title: 'Questions sur cet article',
      launcher: 'Poser une question',
      close: 'Fermer',
      restart: 'Recommencer',
      greeting: 'Bonjour\u00a0! Je réponds aux questions sur cet article. Choisissez-en une ci-dessous ou posez la vôtre.',
      label: 'Votre question',
      placeholder: 'Saisissez votre question…',
      send: 'Envoyer',
      log: 'Conversation',
      you: 'Vous\u00a0:',
      bot: 'Assistant\u00a0:',
      typing: 'L’assistant écrit',
      suggested: 'Questions suggérées',
      related: 'Questions associées',
      pick: 'Choisissez-en une',
      tryThese: 'Questions auxquelles je sais répondre',
      unsure: 'Je n’en suis pas tout à fait sûr — voici la réponse la plus proche\u00a0:',
      helpful: 'Cette réponse vous a-t-elle aidé\u00a0?',
      yes: 'Utile',
      no: 'Pas utile',
      thanks: 'Merci — votre avis a été enregistré.',
      fbError: 'Désolé, votre avis n’a pas pu être envoyé.',
      offline: 'Le service de réponses est injoignable pour le moment. Vérifiez votre connexion et réessayez.',
      busy: 'Beaucoup de questions en ce moment. Patientez un instant, puis réessayez.',
      wait: 'Veuillez patienter {s}\u00a0secondes, puis réessayer.',
      error: 'Une erreur s’est produite de notre côté. Veuillez réessayer.',
      retry: 'Réessayer',
    },
    it: {
      title: 'Domande su questo articolo',
      launcher: 'Fai una domanda',
      close: 'Chiudi',
      restart: 'Ricomincia',
      greeting: 'Ciao! Rispondo alle domande su questo articolo. Scegline una qui sotto o scrivi la tua.',
      label: 'La tua domanda',
      placeholder: 'Scrivi la tua domanda…',
      send: 'Invia',
      log: 'Conversazione',
      you: 'Tu:',
      bot: 'Assistente:',
      typing: 'L’assistente sta scrivendo',
      suggested: 'Domande suggerite',
      related: 'Domande correlate',
      pick: 'Scegline una',
      tryThese: 'Domande a cui so rispondere',
      unsure: 'Non ne sono del tutto sicuro, ecco la risposta più vicina:',
      helpful: 'Ti è stato utile?',
      yes: 'Utile',
      no: 'Non utile',
      thanks: 'Grazie, il tuo feedback è stato registrato.',
      fbError: 'Spiacenti, non è stato possibile inviare il tuo feedback.',
      offline: 'Al momento non riesco a raggiungere il servizio di risposte. Controlla la connessione e riprova.',
      busy: 'In questo momento arrivano molte domande. Attendi un attimo e riprova.',
      wait: 'Attendi {s} secondi e riprova.',
      error: 'Si è verificato un errore da parte nostra. Riprova.',
      retry: 'Riprova',
    },
    ja: {
      title: 'この記事についての質問',
      launcher: '質問する',
      close: '閉じる',
      restart: '最初からやり直す',
      greeting: 'こんにちは！この記事についての質問にお答えします。下から選ぶか、質問を入力してください。',
      label: 'ご質問',
      placeholder: '質問を入力…',
      send: '送信',
      log: '会話',
      you: 'あなた：',
      bot: 'アシスタント：',
      typing: 'アシスタントが入力中',
      suggested: 'おすすめの質問',
      related: '関連する質問',
      pick: 'いずれかを選んでください',
      tryThese: 'お答えできる質問',
      unsure: '確かではありませんが、最も近い回答はこちらです：',
      helpful: 'この回答は役に立ちましたか？',
      yes: '役に立った',
      no: '役に立たなかった',
      thanks: 'ありがとうございます。フィードバックを記録しました。',
      fbError: '申し訳ありません。フィードバックを送信できませんでした。',
      offline: '現在、回答サービスに接続できません。接続を確認して、もう一度お試しください。',
      busy: 'ただいま質問が集中しています。しばらくしてから、もう一度お試しください。',
      wait: '{s}秒待ってから、もう一度お試しください。',
      error: 'こちら側で問題が発生しました。もう一度お試しください。',
      retry: '再試行',
    },
    ko: {
      title: '이 기사에 대한 질문',
      launcher: '질문하기',
      close: '닫기',
      restart: '처음부터 다시',
      greeting: '안녕하세요! 이 기사에 대한 질문에 답해 드립니다. 아래에서 하나를 고르거나 직접 질문해 주세요.',
      label: '질문',
      placeholder: '질문을 입력하세요…',
      send: '보내기',
      log: '대화',
      you: '나:',
      bot: '도우미:',
      typing: '도우미가 입력 중입니다',
      suggested: '추천 질문',
      related: '관련 질문',
      pick: '하나를 선택하세요',
      tryThese: '답변할 수 있는 질문',
      unsure: '확실하지는 않지만 가장 가까운 답변입니다:',
      helpful: '도움이 되었나요?',
      yes: '도움이 됨',
      no: '도움이 안 됨',
      thanks: '감사합니다. 의견이 기록되었습니다.',
      fbError: '죄송합니다. 의견을 보내지 못했습니다.',
      offline: '지금은 답변 서비스에 연결할 수 없습니다. 연결 상태를 확인한 뒤 다시 시도해 주세요.',
      busy: '지금 질문이 많습니다. 잠시 후 다시 시도해 주세요.',
      wait: '{s}초 후에 다시 시도해 주세요.',
      error: '저희 쪽에서 문제가 발생했습니다. 다시 시도해 주세요.',
      retry: '다시 시도',
    },
    nl: {
      title: 'Vragen over dit artikel',
      launcher: 'Stel een vraag',
      close: 'Sluiten',
      restart: 'Opnieuw beginnen',
      greeting: 'Hallo! Ik beantwoord vragen over dit artikel. Kies er hieronder een of stel je eigen vraag.',
      label: 'Je vraag',
      placeholder: 'Typ je vraag…',
      send: 'Versturen',
      log: 'Gesprek',
      you: 'Jij:',
      bot: 'Assistent:',
      typing: 'Assistent is aan het typen',
      suggested: 'Voorgestelde vragen',
      related: 'Verwante vragen',
      pick: 'Kies er een',
      tryThese: 'Vragen die ik kan beantwoorden',
      unsure: 'Ik weet het niet helemaal zeker — dit komt het dichtst in de buurt:',
      helpful: 'Had je hier iets aan?',
      yes: 'Nuttig',
      no: 'Niet nuttig',
      thanks: 'Bedankt — je feedback is opgeslagen.',
      fbError: 'Sorry, je feedback kon niet worden verstuurd.',
      offline: 'Ik kan de antwoorddienst nu niet bereiken. Controleer je verbinding en probeer het opnieuw.',
      busy: 'Er komen nu veel vragen binnen. Wacht even en probeer het opnieuw.',
      wait: 'Wacht {s} seconden en probeer het opnieuw.',
      error: 'Er ging bij ons iets mis. Probeer het opnieuw.',
      retry: 'Opnieuw proberen',
    },
    pl: {
      title: 'Pytania o ten artykuł',
      launcher: 'Zadaj pytanie',
      close: 'Zamknij',
      restart: 'Zacznij od nowa',
      greeting: 'Cześć! Odpowiadam na pytania o ten artykuł. Wybierz jedno poniżej albo zadaj własne.',
      label: 'Twoje pytanie',
      placeholder: 'Wpisz pytanie…',
      send: 'Wyślij',
      log: 'Rozmowa',
      you: 'Ty:',
      bot: 'Asystent:',
      typing: 'Asystent pisze',
      suggested: 'Proponowane pytania',
      related: 'Powiązane pytania',
      pick: 'Wybierz jedno',
      tryThese: 'Pytania, na które umiem odpowiedzieć',
      unsure: 'Nie mam całkowitej pewności — to najbliższa odpowiedź:',
      helpful: 'Czy to było pomocne?',
      yes: 'Pomocne',
      no: 'Niepomocne',
      thanks: 'Dziękujemy — Twoja opinia została zapisana.',
      fbError: 'Niestety nie udało się wysłać opinii.',
      offline: 'Nie mogę teraz połączyć się z usługą odpowiedzi. Sprawdź połączenie i spróbuj ponownie.',
      busy: 'Jest teraz bardzo dużo pytań. Poczekaj chwilę i spróbuj ponownie.',
      wait: 'Poczekaj {s} s i spróbuj ponownie.',
      error: 'Coś poszło nie tak po naszej stronie. Spróbuj ponownie.',
      retry: 'Spróbuj ponownie',
    },
    pt: {
      title: 'Perguntas sobre este artigo',
      launcher: 'Faça uma pergunta',
      close: 'Fechar',
      restart: 'Recomeçar',
      greeting: 'Olá! Respondo a perguntas sobre este artigo. Escolha uma abaixo ou escreva a sua.',
      label: 'Sua pergunta',
      placeholder: 'Escreva sua pergunta…',
      send: 'Enviar',
      log: 'Conversa',
      you: 'Você:',
      bot: 'Assistente:',
      typing: 'O assistente está escrevendo',
      suggested: 'Perguntas sugeridas',
      related: 'Perguntas relacionadas',
      pick: 'Escolha uma',
      tryThese: 'Perguntas que sei responder',
      unsure: 'Não tenho certeza absoluta — esta é a resposta mais próxima:',
      helpful: 'Isto foi útil?',
      yes: 'Útil',
      no: 'Não foi útil',
      thanks: 'Obrigado — seu feedback foi registrado.',
      fbError: 'Desculpe, não foi possível enviar seu feedback.',
      offline: 'Não consigo acessar o serviço de respostas agora. Verifique sua conexão e tente novamente.',
      busy: 'Muitas perguntas neste momento. Aguarde um pouco e tente novamente.',
      wait: 'Aguarde {s} segundos e tente novamente.',
      error: 'Algo deu errado do nosso lado. Tente novamente.',
      retry: 'Tentar novamente',
    },
    ru: {
      title: 'Вопросы по этой статье',
      launcher: 'Задать вопрос',
      close: 'Закрыть',
      restart: 'Начать заново',
      greeting: 'Здравствуйте! Я отвечаю на вопросы по этой статье. Выберите вопрос ниже или задайте свой.',
      label: 'Ваш вопрос',
      placeholder: 'Введите вопрос…',
      send: 'Отправить',
      log: 'Диалог',
      you: 'Вы:',
      bot: 'Помощник:',
      typing: 'Помощник печатает',
      suggested: 'Предлагаемые вопросы',
      related: 'Похожие вопросы',
      pick: 'Выберите вариант',
      tryThese: 'Вопросы, на которые я могу ответить',
      unsure: 'Я не совсем уверен — вот самый близкий ответ:',
      helpful: 'Ответ помог?',
      yes: 'Помог',
      no: 'Не помог',
      thanks: 'Спасибо — ваш отзыв сохранён.',
      fbError: 'К сожалению, не удалось отправить отзыв.',
      offline: 'Сервис ответов сейчас недоступен. Проверьте подключение и попробуйте ещё раз.',
      busy: 'Сейчас очень много вопросов. Подождите немного и попробуйте ещё раз.',
      wait: 'Подождите {s} с и попробуйте ещё раз.',
      error: 'У нас что-то пошло не так. Попробуйте ещё раз.',
      retry: 'Повторить',
    },
    th: {
      title: 'คำถามเกี่ยวกับบทความนี้',
      launcher: 'ถามคำถาม',
      close: 'ปิด',
      restart: 'เริ่มใหม่',
      greeting: 'สวัสดี! ฉันตอบคำถามเกี่ยวกับบทความนี้ เลือกคำถามด้านล่างหรือพิมพ์คำถามของคุณเอง',
      label: 'คำถามของคุณ',
      placeholder: 'พิมพ์คำถามของคุณ…',
      send: 'ส่ง',
      log: 'บทสนทนา',
      you: 'คุณ:',
      bot: 'ผู้ช่วย:',
      typing: 'ผู้ช่วยกำลังพิมพ์',
      suggested: 'คำถามแนะนำ',
      related: 'คำถามที่เกี่ยวข้อง',
      pick: 'เลือกหนึ่งข้อ',
      tryThese: 'คำถามที่ฉันตอบได้',
      unsure: 'ฉันไม่แน่ใจนัก นี่คือคำตอบที่ใกล้เคียงที่สุด:',
      helpful: 'คำตอบนี้มีประโยชน์ไหม',
      yes: 'มีประโยชน์',
      no: 'ไม่มีประโยชน์',
      thanks: 'ขอบคุณ บันทึกความคิดเห็นของคุณแล้ว',
      fbError: 'ขออภัย ส่งความคิดเห็นของคุณไม่สำเร็จ',
      offline: 'ขณะนี้ไม่สามารถเชื่อมต่อบริการตอบคำถามได้ โปรดตรวจสอบการเชื่อมต่อแล้วลองอีกครั้ง',
      busy: 'ขณะนี้มีคำถามเข้ามาจำนวนมาก โปรดรอสักครู่แล้วลองอีกครั้ง',
      wait: 'โปรดรอ {s} วินาทีแล้วลองอีกครั้ง',
      error: 'เกิดข้อผิดพลาดในระบบของเรา โปรดลองอีกครั้ง',
      retry: 'ลองอีกครั้ง',
    },
    tr: {
      title: 'Bu makaleyle ilgili sorular',
      launcher: 'Soru sorun',
      close: 'Kapat',
      restart: 'Baştan başla',
      greeting: 'Merhaba! Bu makaleyle ilgili soruları yanıtlıyorum. Aşağıdan birini seçin ya da kendi sorunuzu sorun.',
      label: 'Sorunuz',
      placeholder: 'Sorunuzu yazın…',
      send: 'Gönder',
      log: 'Sohbet',
      you: 'Siz:',
      bot: 'Asistan:',
      typing: 'Asistan yazıyor',
      suggested: 'Önerilen sorular',
      related: 'İlgili sorular',
      pick: 'Birini seçin',
      tryThese: 'Yanıtlayabileceğim sorular',
      unsure: 'Tam emin değilim; en yakın yanıt bu:',
      helpful: 'Bu yardımcı oldu mu?',
      yes: 'Yardımcı oldu',
      no: 'Yardımcı olmadı',
      thanks: 'Teşekkürler, geri bildiriminiz kaydedildi.',
      fbError: 'Üzgünüz, geri bildiriminiz gönderilemedi.',
      offline: 'Yanıt hizmetine şu anda ulaşılamıyor. Bağlantınızı kontrol edip tekrar deneyin.',
      busy: 'Şu anda çok fazla soru geliyor. Lütfen biraz bekleyip tekrar deneyin.',
      wait: 'Lütfen {s} saniye bekleyip tekrar deneyin.',
      error: 'Bizim tarafımızda bir sorun oluştu. Lütfen tekrar deneyin.',
      retry: 'Tekrar dene',
    },
    zh: {
      title: '关于本文的问题',
      launcher: '提问',
      close: '关闭',
      restart: '重新开始',
      greeting: '你好！我可以回答关于本文的问题。请从下方选择一个，或输入你自己的问题。',
      label: '你的问题',
      placeholder: '输入你的问题…',
      send: '发送',
      log: '对话',
      you: '你：',
      bot: '助手：',
      typing: '助手正在输入',
      suggested: '推荐问题',
      related: '相关问题',
      pick: '请选择一个',
      tryThese: '我能回答的问题',
      unsure: '我不太确定，这是最接近的答案：',
      helpful: '这对你有帮助吗？',
      yes: '有帮助',
      no: '没有帮助',
      thanks: '谢谢，你的反馈已记录。',
      fbError: '抱歉，反馈未能发送。',
      offline: '暂时无法连接到问答服务。请检查网络连接后重试。',
      busy: '当前提问较多，请稍后再试。',
      wait: '请等待 {s} 秒后重试。',
      error: '我们这边出了点问题，请重试。',
      retry: '重试',
    },
  };
  const RTL = ['ar', 'fa', 'he', 'ur'];
  // The primary subtag of a language tag ("ko-KR" -> "ko", "zh-Hant" -> "zh"); '' if none.
  const primary = (tag) => {
    const sub = String(tag || '').trim().toLowerCase().split(/[-_]/)[0];
    return /^[a-z]{2,3}$/.test(sub) ? sub : '';
  };
  const PAGE_LANG = primary(ds.lang) || primary(document.documentElement.lang);
  let own = {};
  try { own = JSON.parse(ds.strings || '{}'); } catch (e) { /* keep defaults */ }
  if (!own || typeof own !== 'object' || Array.isArray(own)) own = {};
  // Strings a page brings itself are taken to be in the page's language, built in or not.
  const LANG = (STRINGS[PAGE_LANG] || (PAGE_LANG && Object.keys(own).length)) ? PAGE_LANG : 'en';
  const DIR = RTL.includes(LANG) ? 'rtl' : 'ltr';
  const S = { ...STRINGS.en, ...STRINGS[LANG], ...own };
  // The reader's language as the API takes it (ISO 639-1), sent with messages and collection reads.
  const HINT = /^[a-z]{2}$/.test(PAGE_LANG || LANG) ? PAGE_LANG || LANG : undefined;

  const CSS = `:host{all:initial!important;display:block!important}
*{box-sizing:border-box}
[hidden]{display:none!important}
.w{--a:var(--askbot-accent,#1d4ed8);--oa:var(--askbot-on-accent,#fff);--bg:var(--askbot-bg,#fff);--m:var(--askbot-muted,#4b5563);--l:var(--askbot-line,#d1d5db);--z:var(--askbot-z,2147483000);font:15px/1.45 var(--askbot-font,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif);color:var(--askbot-text,#1f2937);text-align:start}
button,input{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
:focus-visible{outline:2px solid var(--askbot-focus,var(--a));outline-offset:2px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;flex:none}
.lau{position:fixed;inset-inline-end:20px;bottom:20px;z-index:var(--z);display:flex;align-items:center;gap:8px;padding:13px 20px;border:0;border-radius:999px;background:var(--a);color:var(--oa);font-weight:600;box-shadow:0 6px 20px rgba(0,0,0,.22)}
.lau:hover{filter:brightness(1.12)}
.p{position:fixed;inset-inline-end:20px;bottom:88px;z-index:var(--z);width:var(--askbot-width,380px);height:min(var(--askbot-height,600px),calc(100vh - 108px));display:flex;flex-direction:column;background:var(--bg);border:1px solid var(--l);border-radius:var(--askbot-radius,14px);box-shadow:0 16px 48px rgba(0,0,0,.2);overflow:hidden}
.in .p{position:static;width:auto;height:var(--askbot-height,560px);box-shadow:none}
.hd{display:flex;align-items:center;gap:2px;padding-block:10px;padding-inline:18px 8px;background:var(--a);color:var(--oa)}
h2{flex:1;margin:0;font-size:16px;font-weight:600;line-height:1.3}
.ib{display:inline-grid;place-items:center;width:36px;height:36px;padding:0;border:0;border-radius:8px;background:none}
.ib:hover{background:rgba(127,127,127,.18)}
.hd :focus-visible{outline-color:currentColor;outline-offset:-2px}
.b{position:relative;flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px;display:flex;flex-direction:column;gap:12px}
.log{display:flex;flex-direction:column;gap:10px}
.g{max-width:86%;padding:10px 14px;border-radius:16px;white-space:pre-wrap;overflow-wrap:anywhere}
.g p{margin:0}
.u{align-self:flex-end;background:var(--a);color:var(--oa);border-end-end-radius:4px}
.t{max-width:92%}
.t,.ty{align-self:flex-start;background:var(--askbot-bot-bg,#f1f3f6);border-end-start-radius:4px}
.n{font-size:13px;color:var(--m);margin-bottom:6px!important}
.n b{display:block;color:var(--askbot-text,#1f2937);font-weight:600}
.g .ln{margin-top:6px;font-size:13px;color:var(--m)}
.fb{display:flex;align-items:center;gap:2px;margin-top:6px;font-size:13px;color:var(--m);white-space:normal}
.fb .ib{width:32px;height:32px}
.fb svg{width:17px;height:17px}
.e{background:#fef2f2;color:#7f1d1d;border:1px solid #fecaca}
.rt{margin-top:8px;padding:5px 16px;border:1px solid currentColor;border-radius:999px;background:#fff;font-weight:600}
.ty{display:flex;gap:5px;padding:14px 16px}
.ty i{width:7px;height:7px;border-radius:50%;background:var(--m);animation:d 1.2s infinite ease-in-out}
.ty i:nth-child(3){animation-delay:.15s}.ty i:nth-child(4){animation-delay:.3s}
@keyframes d{0%,80%,100%{opacity:.3}40%{opacity:1;transform:translateY(-3px)}}
@media (prefers-reduced-motion:reduce){.ty i{animation:none}}
.ch{display:flex;flex-direction:column;align-items:flex-start;gap:6px}
.cl{margin:0;font-size:13px;font-weight:600;color:var(--m)}
.c{max-width:100%;padding:7px 12px;border:1px solid var(--a);border-radius:12px;background:var(--bg);color:var(--a);text-align:start;line-height:1.35}
.c:hover{background:color-mix(in srgb,var(--a) 8%,var(--bg))}
form{display:flex;gap:8px;padding:12px;border-top:1px solid var(--l)}
input{flex:1;min-width:0;padding:9px 12px;border:1px solid #6b7280;border-radius:10px;background:var(--bg);font-size:16px}
.s{width:42px;height:42px;border:0;border-radius:10px;background:var(--a);color:var(--oa)}
.s:disabled{opacity:.45;cursor:default}
[dir=rtl] .s svg{transform:scaleX(-1)}
@media (max-width:480px){.fl .p{inset:0;width:auto;height:auto;border:0;border-radius:0}.fl.o .lau{display:none}}`;

  // Icons (Feather, MIT): chat, close, send, thumbs up, thumbs down, restart.
  const I = {
    chat: 'M21 11.5a8.4 8.4 0 0 1-.9 3.8 8.5 8.5 0 0 1-7.6 4.7 8.4 8.4 0 0 1-3.8-.9L3 21l1.9-5.7a8.4 8.4 0 0 1-.9-3.8 8.5 8.5 0 0 1 4.7-7.6 8.4 8.4 0 0 1 3.8-.9h.5a8.5 8.5 0 0 1 8 8v.5z',
    x: 'M18 6 6 18M6 6l12 12',
    send: 'M22 2 11 13M22 2l-7 20-4-9-9-4 20-7z',
    up: 'M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.3a2 2 0 0 0 2-1.7l1.4-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3',
    down: 'M10 15v4a3 3 0 0 0 3 3l4-9V2H5.7a2 2 0 0 0-2 1.7l-1.4 9a2 2 0 0 0 2 2.3zm7-13h2.7A2.3 2.3 0 0 1 22 4v7a2.3 2.3 0 0 1-2.3 2H17',
    redo: 'M1 4v6h6M3.5 15a9 9 0 1 0 2.1-9.4L1 10',
  };
  const NS = 'http://www.w3.org/2000/svg';
  const icon = (name) => {
    const s = document.createElementNS(NS, 'svg');
    const p = document.createElementNS(NS, 'path');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    p.setAttribute('d', I[name]);
    s.append(p);
    return s;
  };
  // Element builder: strings become text nodes, attributes go through setAttribute.
  const h = (tag, attrs, ...kids) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (typeof v === 'function') el.addEventListener(k, v);
      else if (v != null && v !== false) el.setAttribute(k, v === true ? '' : v);
    }
    el.append(...kids.filter((k) => k != null));
    return el;
  };
  const ibtn = (name, label, click, cls = 'ib') =>
    h('button', { type: 'button', class: cls, 'aria-label': label, title: label, click }, icon(name));

  const init = () => {
    const mount = ds.mount && document.querySelector(ds.mount);
    const inline = !!mount;
    const host = document.createElement('askbot-widget');
    host.setAttribute('lang', LANG);
    host.setAttribute('dir', DIR);
    const root = host.attachShadow({ mode: 'open' });
    if (root.adoptedStyleSheets && 'replaceSync' in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else root.append(h('style', {}, CSS));

    const fresh = () => ({ sid: null, items: [], chips: null, open: false });
    let st = fresh();
    try {
      const saved = JSON.parse(sessionStorage.getItem(KEY));
      if (saved && Array.isArray(saved.items)) st = saved;
    } catch (e) { /* storage unavailable: the conversation lasts for this page view */ }
    const save = () => {
      st.items = st.items.slice(-60);
      try { sessionStorage.setItem(KEY, JSON.stringify(st)); } catch (e) { /* see above */ }
    };

    let busy = false;
    let errEl = null;
    let asked = null; // the reader's latest question bubble
    const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': S.log });
    const typing = h('div', { class: 'g ty', hidden: true }, h('span', { class: 'sr' }, S.typing), h('i'), h('i'), h('i'));
    const chips = h('div', { class: 'ch', role: 'group', 'aria-labelledby': 'askbot-cl' });
    const body = h('div', { class: 'b' }, log, typing, chips);
    const input = h('input', {
      id: 'askbot-q', type: 'text', maxlength: 1000, autocomplete: 'off', placeholder: S.placeholder,
    });
    const send = ibtn('send', S.send, null, 's');
    send.type = 'submit';
    const form = h('form', { submit: (e) => { e.preventDefault(); if (!busy && input.value.trim()) { ask(input.value); input.value = ''; } } },
      h('label', { class: 'sr', for: 'askbot-q' }, S.label), input, send);
    const head = h('div', { class: 'hd' }, h('h2', { id: 'askbot-t' }, S.title), ibtn('redo', S.restart, () => restart()));
    const panel = h('div', { class: 'p', id: 'askbot-p', role: inline ? 'region' : 'dialog', 'aria-labelledby': 'askbot-t' }, head, body, form);
    const wrap = h('div', { class: 'w ' + (inline ? 'in' : 'fl'), lang: LANG, dir: DIR });
    let launcher = null;
    if (inline) wrap.append(panel);
    else {
      head.append(ibtn('x', S.close, () => toggle(false)));
      launcher = h('button', { type: 'button', class: 'lau', 'aria-expanded': 'false', 'aria-controls': 'askbot-p', click: () => toggle(!st.open) },
        icon('chat'), h('span', {}, S.launcher));
      wrap.append(panel, launcher);
      root.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && st.open) { e.stopPropagation(); toggle(false); }
      });
    }
    root.append(wrap);
    (mount || document.body).append(host);

    // Show as much as fits from `from` downwards: a long answer is read from its start.
    const scroll = (from) => {
      const end = body.scrollHeight - body.clientHeight;
      body.scrollTop = from ? Math.min(end, from.offsetTop - 12) : end;
    };
    const setBusy = (b) => { busy = b; send.disabled = b; typing.hidden = !b; if (b) scroll(); };
    const clearError = () => { if (errEl) errEl.remove(); errEl = null; };

    async function call(path, payload) {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), 20000); // a hung request must not freeze the panel
      let res;
      let data = null;
      try {
        res = await fetch(API + path, payload
          ? { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload), signal: ctl.signal }
          : { signal: ctl.signal });
        data = await res.json().catch(() => null);
      } catch (e) {
        throw { kind: 'net' };
      } finally {
        clearTimeout(timer);
      }
      const err = data && data.error;
      if (res.status === 429) throw { kind: 'busy', after: parseInt(res.headers.get('Retry-After'), 10) };
      if (!res.ok || !data) throw { kind: 'http', status: res.status, code: err && err.code, msg: err && err.message };
      return data;
    }

    function fail(e, retry) {
      clearError();
      // A 4xx with the API's JSON error is about the input: say so, retrying would not help.
      // No JSON error body at all means something else answered: the service is not there.
      const client = e.kind === 'http' && e.status < 500 && e.msg;
      const text = e.kind === 'busy' ? (e.after > 0 ? S.wait.replace('{s}', e.after) : S.busy)
        : client ? e.msg : e.kind === 'net' || !e.code ? S.offline : S.error;
      errEl = h('div', { class: 'g e' }, h('p', { dir: 'auto' }, text),
        client ? null : h('button', { type: 'button', class: 'rt', click: () => { clearError(); input.focus(); retry(); } }, S.retry));
      log.append(errEl);
      scroll();
    }

    function feedback(it) {
      const row = h('div', { class: 'fb' });
      const draw = (note) => {
        row.textContent = '';
        if (it.fb) return row.append(h('span', {}, S.thanks));
        row.append(h('span', {}, note || S.helpful), ibtn('up', S.yes, () => vote(true)), ibtn('down', S.no, () => vote(false)));
      };
      const vote = async (helpful) => {
        row.querySelectorAll('button').forEach((b) => { b.disabled = true; });
        try {
          await call('/v1/feedback', { session_id: it.s, answer_id: it.aid, helpful });
          it.fb = helpful ? 'up' : 'down';
          save();
          draw();
          input.focus(); // the pressed button is gone; keep keyboard users in the panel
        } catch (e) {
          draw(S.fbError);
        }
      };
      draw();
      return row;
    }

    function bubble(it) {
      const mine = it.r === 'u';
      const el = h('div', { class: 'g ' + (mine ? 'u' : 't') }, h('span', { class: 'sr' }, mine ? S.you : S.bot));
      // Server text may be in another language than the widget: dir=auto reads its own direction.
      if (it.low) el.append(h('p', { class: 'n' }, S.unsure, ' ', h('b', { dir: 'auto', lang: it.al }, it.q)));
      el.append(h('p', { dir: 'auto', lang: it.al }, it.k ? S[it.k] : it.t));
      if (it.ln) el.append(h('p', { class: 'ln', dir: 'auto' }, it.ln));
      if (it.aid) el.append(feedback(it));
      return el;
    }

    function add(it) {
      st.items.push(it);
      save();
      log.append(bubble(it));
      scroll();
    }

    function setChips(list, label) {
      st.chips = list && list.length ? { label, list: list.map((x) => ({ id: x.id, question: x.question })) } : null;
      save();
      drawChips();
    }

    function drawChips() {
      chips.textContent = '';
      const c = st.chips;
      chips.hidden = !c;
      if (!c) return;
      chips.append(h('p', { class: 'cl', id: 'askbot-cl' }, S[c.label] || ''),
        ...c.list.slice(0, 8).map((x) => h('button', { type: 'button', class: 'c', dir: 'auto', click: () => { input.focus(); ask(x.question); } }, x.question)));
    }

    function ask(text) {
      text = text.trim();
      if (busy || !text) return;
      clearError();
      setChips(null);
      add({ r: 'u', t: text });
      asked = log.lastChild;
      chat(text, false);
    }

    async function chat(text, again) {
      setBusy(true);
      try {
        const d = await call('/v1/chat', {
          message: text, session_id: st.sid || undefined, collection: COLL || undefined, lang: HINT,
        });
        st.sid = d.session_id;
        const a = d.answer;
        const msg = d.message || (a && a.text) || '';
        // The server says when it answers in another language than the reader's (a note to show)
        // and which language it served, so screen readers pronounce the answer right.
        const lg = d.language || {};
        const reply = {
          r: 't', t: msg, ln: typeof lg.note === 'string' && lg.note.trim() ? lg.note : undefined,
          al: primary(lg.served) || undefined,
        };
        if (d.decision === 'answer' && a) {
          const low = d.confidence < LOW;
          add({ ...reply, aid: a.id, s: st.sid, low, q: low ? a.question : undefined });
          setChips(d.suggestions, 'related');
        } else if (d.decision === 'clarify') {
          add(reply);
          setChips(d.alternatives, 'pick');
        } else {
          add(reply);
          setChips(d.suggestions, 'tryThese');
        }
      } catch (e) {
        // An expired or unknown session: start a new one once, transparently.
        if (!again && st.sid && e.kind === 'http' && (e.status === 404 || /session/i.test(e.code || ''))) {
          st.sid = null;
          return await chat(text, true);
        }
        fail(e, () => chat(text, again));
      } finally {
        setBusy(false);
        scroll(asked);
      }
    }

    async function start() {
      if (!st.items.length) add({ r: 't', k: 'greeting' }); // drawn in the language of each page view
      if (!COLL) { st.ready = true; return save(); }
      setBusy(true);
      try {
        const c = await call('/v1/collections/' + encodeURIComponent(COLL) + (HINT ? '?lang=' + HINT : ''));
        st.ready = true;
        if (!st.chips && st.items.length < 2) setChips(c.questions, 'suggested');
      } catch (e) {
        fail(e, start);
      } finally {
        setBusy(false);
      }
    }

    function restart() {
      if (busy) return;
      st = { ...fresh(), open: st.open };
      log.textContent = '';
      clearError();
      drawChips();
      save();
      input.focus();
      start();
    }

    function toggle(open, quiet) {
      st.open = open;
      save();
      panel.hidden = !open;
      wrap.classList.toggle('o', open);
      launcher.setAttribute('aria-expanded', String(open));
      if (!open) return launcher.focus();
      if (!st.ready) start();
      scroll();
      if (!quiet) input.focus();
    }

    st.items.forEach((it) => log.append(bubble(it)));
    drawChips();
    if (inline) { if (!st.ready) start(); }
    else if (st.open) toggle(true, true); // reopen after a reload, without stealing focus
    else panel.hidden = true;
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
