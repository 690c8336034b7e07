"""GET /privacy: what the shop's surveybot keeps about a customer and how to have it
removed, in the customer's language. Meta's feedback template must link to such a page
(`business_privacy.url`); SURVEYBOT_PRIVACY_URL points elsewhere when the shop has its own.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.channels.web.services import chat_services_of
from bot.messaging.locales import choose_locale
from bot.web.dashboard.page_context import templates_at

router = APIRouter(include_in_schema=False)

TEXTS: dict[str, dict[str, object]] = {
    "en": {
        "title": "Privacy",
        "intro": "{shop} asks how your orders went, through the chat apps you use with us. "
        "This is what that keeps, and how to have it removed.",
        "kept_title": "What is kept",
        "kept": [
            "Your name, language and time zone, and the phone number or chat accounts "
            "(Telegram, Zalo, Messenger) the shop knows you by.",
            "Your orders that a survey is about: their number, shop and items.",
            "Your answers and comments, the messages you send us in these chats, and, if "
            "you had a problem, the support case and the shop's replies.",
            "Vouchers given to you, and whether you asked us to stop writing.",
        ],
        "use_title": "What it is used for",
        "use": "To ask about your order, to put things right when it went wrong, and for "
        "the shop's own reports. It is not sold or shared with advertisers.",
        "remove_title": "Stop, or have it removed",
        "remove": [
            "Send /stop (or press Stop in a survey): no more surveys, on any chat app.",
            "To have your data removed, write to the shop in the same chat, or ask at the "
            "shop: it removes what is kept about you and confirms it.",
        ],
    },
    "vi": {
        "title": "Quyền riêng tư",
        "intro": "{shop} hỏi bạn về đơn hàng qua ứng dụng nhắn tin bạn dùng với chúng tôi. "
        "Dưới đây là những gì được lưu lại và cách để xoá.",
        "kept_title": "Những gì được lưu",
        "kept": [
            "Tên, ngôn ngữ, múi giờ của bạn, và số điện thoại hoặc tài khoản nhắn tin "
            "(Telegram, Zalo, Messenger) mà cửa hàng biết.",
            "Các đơn hàng được khảo sát: mã đơn, cửa hàng và sản phẩm.",
            "Câu trả lời và góp ý của bạn, tin nhắn bạn gửi cho chúng tôi trong các cuộc "
            "trò chuyện này, và nếu có sự cố, yêu cầu hỗ trợ cùng các trả lời của cửa hàng.",
            "Mã giảm giá đã tặng bạn, và việc bạn đã yêu cầu ngừng nhắn tin hay chưa.",
        ],
        "use_title": "Dùng để làm gì",
        "use": "Để hỏi về đơn hàng của bạn, để khắc phục khi có sự cố, và cho báo cáo của "
        "chính cửa hàng. Không bán hay chia sẻ cho bên quảng cáo.",
        "remove_title": "Ngừng nhận tin, hoặc xoá dữ liệu",
        "remove": [
            "Gửi /stop (hoặc bấm Dừng trong khảo sát): không còn khảo sát nào, trên mọi ứng dụng.",
            "Để xoá dữ liệu của bạn, hãy nhắn cho cửa hàng ngay trong cuộc trò chuyện, hoặc "
            "hỏi tại cửa hàng: cửa hàng sẽ xoá những gì đã lưu về bạn và xác nhận lại.",
        ],
    },
}


@router.get("/privacy", response_class=HTMLResponse)
async def privacy_page(request: Request) -> HTMLResponse:
    services = chat_services_of(request)
    wanted = [request.query_params.get("lang") or ""]
    wanted += [
        part.split(";")[0].strip() for part in request.headers.get("accept-language", "").split(",")
    ]
    locale = choose_locale([w for w in wanted if w], TEXTS.__contains__, "vi")
    shop = services.texts.phrase("shop_name", locale).strip()
    return templates_at(services.settings.templates_dir / "web").TemplateResponse(
        request,
        "privacy.html",
        {
            "t": TEXTS[locale],
            "intro": str(TEXTS[locale]["intro"]).format(shop=shop),
            "lang": locale,
            "shop": shop,
        },
    )
