"""The survey as a web chat at /s/<token>: plain HTML forms that work without JavaScript
(post, then redirect back to the page), made smoother by a few lines of script."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from bot.channels.web.chat import ChatPage, PageState
from bot.channels.web.demo import demo_survey
from bot.channels.web.html import to_web_html
from bot.channels.web.services import WebChatServices, chat_services_of
from bot.flows.schema import TEXT_ANSWER_LIMIT
from bot.storable_text import has_nul, without_nul
from bot.storage.repositories.surveys import TOKEN_MAX_LENGTH
from bot.web.dashboard.page_context import templates_at

router = APIRouter(include_in_schema=False)


LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "A quick question",
        "bot": "Shop",
        "you": "You",
        "placeholder": "Type your answer",
        "send": "Send",
        "answers": "Answers",
        "your_answer": "Your answer",
        "done": "All done. Thank you! You can close this page.",
        "closed": "This survey is closed. Thank you for stopping by!",
        "unknown_title": "Link not found",
        "unknown": "We could not find this survey. Please check the link, or ask the shop "
        "for a new one.",
        "conversation": "Conversation",
        "welcome": "Thank you for shopping with us! We have a few quick questions about "
        "your order: about a minute, one tap each.",
        "start": "Start",
        "elsewhere": "You are answering this survey in Telegram. You can go on there, or "
        "here if you prefer.",
        "continue_here": "Continue here",
    },
    "vi": {
        "title": "Một câu hỏi nhanh",
        "bot": "Cửa hàng",
        "you": "Bạn",
        "placeholder": "Nhập câu trả lời",
        "send": "Gửi",
        "answers": "Câu trả lời",
        "your_answer": "Câu trả lời của bạn",
        "done": "Xong rồi. Cảm ơn bạn! Bạn có thể đóng trang này.",
        "closed": "Khảo sát này đã đóng. Cảm ơn bạn đã ghé!",
        "unknown_title": "Không tìm thấy liên kết",
        "unknown": "Chúng tôi không tìm thấy khảo sát này. Bạn kiểm tra lại liên kết, hoặc "
        "nhờ cửa hàng gửi liên kết mới nhé.",
        "conversation": "Cuộc trò chuyện",
        "welcome": "Cảm ơn bạn đã mua sắm! Chúng tôi có vài câu hỏi nhanh về đơn hàng: "
        "chừng một phút, mỗi câu một chạm.",
        "start": "Bắt đầu",
        "elsewhere": "Bạn đang trả lời khảo sát này trên Telegram. Bạn có thể tiếp tục ở "
        "đó, hoặc ở đây nếu muốn.",
        "continue_here": "Tiếp tục ở đây",
    },
}


def _languages(request: Request) -> list[str]:
    wanted = [request.query_params.get("lang") or ""]
    wanted += [
        part.split(";")[0].strip() for part in request.headers.get("accept-language", "").split(",")
    ]
    return [language for language in wanted if language]


def _render(
    request: Request, services: WebChatServices, token: str, page: ChatPage
) -> HTMLResponse:
    locale = page.locale if page.locale in LABELS else "en"
    status = {PageState.UNKNOWN: 404}.get(page.state, 200)
    response = templates_at(services.settings.templates_dir / "web").TemplateResponse(
        request,
        "chat.html",
        {
            "page": page,
            "token": token,
            "t": LABELS[locale],
            "lang": locale,
            "html": to_web_html,
            "shop": services.texts.phrase("shop_name", locale),
        },
        status_code=status,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is the key: keep it
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/s/{token}", response_class=HTMLResponse)
async def chat_page(token: str, request: Request) -> HTMLResponse:
    services = chat_services_of(request)
    languages = _languages(request)
    if len(token) > TOKEN_MAX_LENGTH:
        page = ChatPage(PageState.UNKNOWN, services.web_chat.fallback_locale(languages))
    else:
        page = await services.web_chat.open(token, languages)
    return _render(request, services, token, page)


@router.get("/demo")
async def demo(request: Request) -> Response:
    """Demo mode: a sample purchase, and its survey opened in the browser."""
    services = chat_services_of(request)
    if not services.settings.demo:
        raise HTTPException(404, "demo mode is off (make run turns it on: SURVEYBOT_DEMO=1)")
    token = await demo_survey(services.ingest, services.clock.now().isoformat())
    if token is None:
        raise HTTPException(404, "no flow is triggered by order.delivered to demonstrate")
    return RedirectResponse(f"/s/{token}", status_code=303)


@router.post("/s/{token}")
async def chat_answer(token: str, request: Request) -> Response:
    """One tap or one message, then back to the page (post/redirect/get: a reload sends
    nothing). The form is read leniently: whatever a browser or a hand-made post sends,
    an answer that does not fit the open question is ignored, never a 4xx page."""
    services = chat_services_of(request)
    if len(token) <= TOKEN_MAX_LENGTH:
        form = await request.form()
        action = _field(form, "action", 16) or "answer"
        visit = _visit(_field(form, "visit", 12))
        chat = services.web_chat
        if action == "start":
            await chat.start(token, _languages(request))
        elif visit is None:
            pass  # every other action answers one question: without its visit, it is stale
        elif action == "skip":
            await chat.skip(token, visit)
        elif action == "stop":
            await chat.stop(token)
        elif action == "text":
            await chat.typed(token, visit, _typed_text(form))
        elif action == "answer" and (band := _field(form, "band", 16)):
            await chat.narrow(token, visit, band)
        elif action == "answer" and (value := _field(form, "value", 200)):
            await chat.answer(token, visit, value)
    return RedirectResponse(f"/s/{token}#latest", status_code=303)


def _field(form: FormData, name: str, limit: int) -> str:
    """A short form field; empty when missing, a file, longer than any real answer, or
    holding a NUL (no button sends one: the post is hand-made)."""
    raw = form.get(name)
    return raw if isinstance(raw, str) and len(raw) <= limit and not has_nul(raw) else ""


def _visit(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _typed_text(form: FormData) -> str:
    """The customer's words as Telegram would get them: one kind of line break, no NUL (the
    database cannot keep one; the words around it stay), and no more than a message holds
    (a textarea's maxlength counts CR LF as one)."""
    raw = form.get("text")
    text = without_nul(raw) if isinstance(raw, str) else ""
    return text.replace("\r\n", "\n").replace("\r", "\n")[:TEXT_ANSWER_LIMIT]
