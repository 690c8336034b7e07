"""The dashboard's words in English and Vietnamese, and which language a page speaks:
`?lang=` (remembered in a cookie), then the cookie, then Accept-Language, then the shop's."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request

from bot.messaging.locales import choose_locale

LANGUAGE_NAMES = {"en": "English", "vi": "Tiếng Việt"}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "skip": "Skip to content",
        "menu": "Dashboard pages",
        "language": "Language",
        "signed_in_as": "Signed in as {login} ({role})",
        "sign_out": "Sign out",
        "overview": "Overview",
        "responses": "Responses",
        "cases": "Support cases",
        "campaigns": "Campaigns",
        "flows": "Flows",
        "role_admin": "admin",
        "role_support": "support",
        "role_marketer": "marketer",
        # sign-in
        "sign_in": "Sign in",
        "login": "E-mail or name",
        "password": "Password",
        "wrong_password": "Wrong login or password.",
        "throttled": "Too many failed sign-ins. Try again in {wait}.",
        "form_expired": "This form has expired. Reload the page and try again.",
        "signed_out": "You are signed out.",
        "seconds": "{n} s",
        "minutes": "{n} min",
        # errors
        "forbidden_title": "Not allowed",
        "forbidden": "Your role ({role}) cannot open this page. Ask an admin if you need it.",
        "not_found_title": "Not found",
        "not_found": "There is nothing at this address.",
        "bad_request_title": "Something in the request is not right",
        "bad_request": "Check the address or the form and try again.",
        "too_many_title": "Please wait",
        "back": "Back to the dashboard",
        "off": "The dashboard is off. Set SURVEYBOT_DASHBOARD=1 to turn it on.",
        # channel warnings, at the top of every page
        "channel_warnings": "Channel warnings",
        "never": "never",
        "token_not_authorised": (
            "{channel} sends nothing: its token chain has been broken since {when}. {reason}."
        ),
        "token_not_authorised_messenger": (
            "{channel} sends nothing: Meta has refused the Page access token since {when}. "
            "{reason}."
        ),
        "token_expired": "{channel} sends nothing: its refresh token ran out on {when}.",
        "token_expiring": (
            "{channel}'s refresh token runs out on {when}. surveybot renews it every day while it "
            "runs, so it has not been running or refreshing fails (last renewed {renewed}): check "
            "that surveybot runs and read its log."
        ),
        "fix_now": "To fix it: {fix}",
        "fix_later": "If it runs out: {fix}",
        "token_fix": (
            "authorise surveybot for the {channel} account again and set its new refresh token "
            "(docs/channels/{key}.md)."
        ),
        "token_fix_zalo": (
            "re-authorise the OA in Zalo's developer console (docs/channels/zalo.md, set-up step "
            "5), set SURVEYBOT_ZALO_REFRESH_TOKEN to the new refresh token and restart surveybot."
        ),
        "token_fix_messenger": (
            "generate a new Page access token in the Meta app's Messenger settings "
            "(docs/channels/messenger.md, set-up step 2), set SURVEYBOT_MESSENGER_PAGE_TOKEN to "
            "it and restart surveybot."
        ),
        "limit_errors": (
            "Quota or call-limit errors on {channel} in the last 24 hours: {n}. Its messages wait "
            "and are sent later. The last:"
        ),
        # filters
        "filters": "Filters",
        "flow": "Flow",
        "any": "Any",
        "from": "From",
        "to": "To",
        "store": "Store",
        "channel": "Channel",
        "sku": "SKU",
        "segment": "Segment",
        "segment_hint": "attribute=value, e.g. tier=gold",
        "search": "Words in comments",
        "apply": "Apply",
        "reset": "Reset",
        "period": "Trend by",
        "day": "Day",
        "week": "Week",
        "month": "Month",
        "bad_date": "{field}: {value!r} is not a date (use YYYY-MM-DD).",
        "bad_range": "“From” must be before “To”.",
        "bad_segment": "Segment: write attribute=value, e.g. tier=gold.",
        "bad_choice": "{field}: {value!r} is not one of the choices.",
        # overview
        "answers_n": "n = {n}",
        "no_data": "No answers for these filters yet.",
        "margin": "±{m} (95%)",
        "promoters": "promoters",
        "passives": "passives",
        "detractors": "detractors",
        "satisfied": "satisfied",
        "easy": "easy",
        "mean": "mean",
        "trend": "{metric} by {period}",
        "themes": "What customers talk about",
        "mentions": "{count} comments ({share}%)",
        "no_themes": "No comments for these filters yet.",
        "chart_numbers": "The numbers",
        "bucket": "Starting",
        "value": "Value",
        # responses
        "when": "When",
        "customer": "Customer",
        "order": "Order",
        "scores": "Scores",
        "words": "In their words",
        "no_responses": "No responses match these filters.",
        "page_of": "Page {page} of {pages}",
        "previous": "Previous",
        "next": "Next",
        "total": "{n} responses",
        # the case list: who holds a case, "mine" / "unclaimed" / "breached", escalation
        "show": "Show",
        "show_mine": "Mine",
        "show_unclaimed": "Unclaimed",
        "show_breached": "Breached (past the SLA)",
        "held_by": "Held by",
        "unclaimed": "unclaimed",
        "you": "you",
        "escalated": "Escalated",
        "escalated_at": "to the managers at {at}",
        # recovery: the follow-up after a resolved case, and its rate
        "recovery": "Recovery",
        "followup_question": "The follow-up asks the customer: “Is it sorted out for you?”",
        "followup_off": "No follow-up is set up (SURVEYBOT_FOLLOWUP_FLOW).",
        "followup_waiting": "Asked {delay} after the case is resolved.",
        "followup_not_asked": (
            "Not asked yet: it goes {delay} after the case is resolved, when the customer can "
            "still be reached."
        ),
        "followup_asked": "Asked",
        "followup_answer": "Answer",
        "followup_yes": "Yes, it is sorted out",
        "followup_no": "No, not yet",
        "followup_other": "“{answer}” (not counted in the recovery rate)",
        "followup_no_answer": "No answer yet.",
        "nps_after": "NPS afterwards",
        "recovered_of": "{recovered} of {n} say it is sorted out",
        "recovery_n": "n = resolved cases whose follow-up was answered yes or no.",
        "no_followups": "No follow-up answers for these filters yet.",
        # cases
        "none": "No cases yet.",
        "opened": "Opened",
        "severity": "Severity",
        "answers": "Answers",
        "status": "Status",
        "sla": "SLA",
        "first_response": "First response",
        "all": "All",
        "open": "Open",
        "claimed": "Claimed",
        "resolved": "Resolved",
        "case_title": "Case #{id}",
        "conversation": "Conversation",
        "to_customer": "To the customer",
        "from_customer": "From the customer",
        "note": "Note",
        "claimed_by": "Claimed by",
        "resolved_by": "Resolved by",
        "no_messages": "Nothing has been said on this case yet.",
        "vouchers": "Vouchers",
        "all_cases": "All cases",
        # working a case
        "work_case": "Work this case",
        "timeline_to_customer": "To the customer",
        "timeline_from_customer": "From the customer",
        "timeline_note": "Internal note",
        "timeline_claimed": "Claimed",
        "timeline_resolved": "Resolved",
        "timeline_reopened": "Reopened",
        "timeline_voucher": "Voucher sent",
        "action_claim": "Claim",
        "action_reply": "Send to the customer",
        "action_note": "Add note",
        "action_voucher": "Send voucher",
        "action_resolve": "Resolve",
        "action_reopen": "Reopen",
        "reply_to_customer": "Reply to the customer",
        "internal_note": "Internal note (staff only)",
        "compensation": "Compensation",
        "resolution_reason": "Reason (optional)",
        "case_changed": (
            "The case changed since this page was loaded (someone else acted on it): look at "
            "it again below, then try again if it still needs doing."
        ),
        "field_required": "{field}: write something first.",
        "event_stream_only": (
            "This address is an event stream for the live case pages: open it with "
            "EventSource (Accept: text/event-stream)."
        ),
        "field_too_long": "{field}: at most {limit} characters.",
        "done_claim": "The case is yours.",
        "done_reply": "Your reply is on its way to the customer.",
        "done_note": "Note added.",
        "done_voucher": "The voucher was sent to the customer.",
        "done_resolve": "Case resolved. Thank you!",
        "done_reopen": "The case is open again.",
        # campaigns
        "campaign": "Campaign",
        "kind": "Kind",
        "state": "State",
        "running": "running",
        "paused": "paused",
        "ended": "ended",
        "upcoming": "not started",
        "budget": "Budget",
        "issued": "Issued",
        "redeemed": "Redeemed",
        "redemption": "Redemption",
        "left": "Left",
        "no_limit": "no limit",
        "vouchers_n": "{n} vouchers",
        "pool": "Code pool",
        "pool_left": "{available} of {imported} codes left",
        "low": "low",
        "misses": "Not given",
        "reorders": "Ordered again",
        "no_campaigns": "No campaigns. Add one in campaigns/*.yaml.",
        # flows
        "default": "default",
        "version": "Version",
        "languages": "Languages",
        "steps": "Steps",
        "trigger": "Sent on",
        "walk_in": "walk-in (link or QR code)",
        "funnel": "Response funnel",
        "sent": "Sent",
        "started": "Started",
        "completed": "Completed",
        "of_sent": "% of sent",
        "no_flows": "No flows are live. Add one in flows/*.yaml.",
    },
    "vi": {
        "skip": "Bỏ qua, đến nội dung",
        "menu": "Các trang quản trị",
        "language": "Ngôn ngữ",
        "signed_in_as": "Đang đăng nhập: {login} ({role})",
        "sign_out": "Đăng xuất",
        "overview": "Tổng quan",
        "responses": "Phản hồi",
        "cases": "Ca hỗ trợ",
        "campaigns": "Chiến dịch",
        "flows": "Luồng khảo sát",
        "role_admin": "quản trị",
        "role_support": "hỗ trợ",
        "role_marketer": "marketing",
        "sign_in": "Đăng nhập",
        "login": "Email hoặc tên",
        "password": "Mật khẩu",
        "wrong_password": "Sai tên đăng nhập hoặc mật khẩu.",
        "throttled": "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {wait}.",
        "form_expired": "Biểu mẫu đã hết hạn. Hãy tải lại trang rồi thử lại.",
        "signed_out": "Bạn đã đăng xuất.",
        "seconds": "{n} giây",
        "minutes": "{n} phút",
        "forbidden_title": "Không có quyền truy cập",
        "forbidden": (
            "Vai trò của bạn ({role}) không được mở trang này. Hãy nhờ quản trị viên nếu bạn cần."
        ),
        "not_found_title": "Không tìm thấy",
        "not_found": "Không có gì ở địa chỉ này.",
        "bad_request_title": "Yêu cầu có chỗ chưa đúng",
        "bad_request": "Hãy kiểm tra lại địa chỉ hoặc biểu mẫu rồi thử lại.",
        "too_many_title": "Vui lòng chờ",
        "back": "Về trang quản trị",
        "off": "Trang quản trị đang tắt. Đặt SURVEYBOT_DASHBOARD=1 để bật.",
        "channel_warnings": "Cảnh báo về kênh",
        "never": "chưa lần nào",
        "token_not_authorised": (
            "{channel} không gửi được tin nào: chuỗi token bị hỏng từ {when}. {reason}."
        ),
        "token_not_authorised_messenger": (
            "{channel} không gửi được tin nào: Meta từ chối Page access token từ {when}. {reason}."
        ),
        "token_expired": "{channel} không gửi được tin nào: refresh token đã hết hạn lúc {when}.",
        "token_expiring": (
            "Refresh token của {channel} sẽ hết hạn lúc {when}. Khi chạy, surveybot gia hạn nó "
            "mỗi ngày, nên surveybot đã không chạy hoặc việc gia hạn bị lỗi (lần gia hạn cuối: "
            "{renewed}): hãy kiểm tra surveybot có đang chạy và xem log của nó."
        ),
        "fix_now": "Cách khắc phục: {fix}",
        "fix_later": "Nếu đã hết hạn: {fix}",
        "token_fix": (
            "ủy quyền lại cho surveybot trên tài khoản {channel} và đặt refresh token mới "
            "(docs/channels/{key}.md)."
        ),
        "token_fix_zalo": (
            "ủy quyền lại OA trong trang nhà phát triển của Zalo (docs/channels/zalo.md, bước 5 "
            "phần cài đặt), đặt SURVEYBOT_ZALO_REFRESH_TOKEN bằng refresh token mới rồi khởi động "
            "lại surveybot."
        ),
        "token_fix_messenger": (
            "tạo Page access token mới trong phần cài đặt Messenger của ứng dụng Meta "
            "(docs/channels/messenger.md, bước 2 phần cài đặt), đặt "
            "SURVEYBOT_MESSENGER_PAGE_TOKEN bằng token đó rồi khởi động lại surveybot."
        ),
        "limit_errors": (
            "Lỗi hạn mức (hết quota hoặc vượt giới hạn số lần gọi) trên {channel} trong 24 giờ "
            "qua: {n}. Tin nhắn sẽ chờ và được gửi sau. Lần gần nhất:"
        ),
        "filters": "Bộ lọc",
        "flow": "Luồng",
        "any": "Tất cả",
        "from": "Từ ngày",
        "to": "Đến ngày",
        "store": "Cửa hàng",
        "channel": "Kênh",
        "sku": "Mã hàng (SKU)",
        "segment": "Phân khúc",
        "segment_hint": "thuộc_tính=giá_trị, ví dụ tier=gold",
        "search": "Từ trong nhận xét",
        "apply": "Áp dụng",
        "reset": "Xoá bộ lọc",
        "period": "Xu hướng theo",
        "day": "Ngày",
        "week": "Tuần",
        "month": "Tháng",
        "bad_date": "{field}: {value!r} không phải là ngày (dùng YYYY-MM-DD).",
        "bad_range": "“Từ ngày” phải trước “Đến ngày”.",
        "bad_segment": "Phân khúc: viết thuộc_tính=giá_trị, ví dụ tier=gold.",
        "bad_choice": "{field}: {value!r} không có trong danh sách.",
        "answers_n": "n = {n}",
        "no_data": "Chưa có câu trả lời nào với bộ lọc này.",
        "margin": "±{m} (95%)",
        "promoters": "ủng hộ",
        "passives": "trung lập",
        "detractors": "phản đối",
        "satisfied": "hài lòng",
        "easy": "dễ dàng",
        "mean": "trung bình",
        "trend": "{metric} theo {period}",
        "themes": "Khách hàng nói về điều gì",
        "mentions": "{count} nhận xét ({share}%)",
        "no_themes": "Chưa có nhận xét nào với bộ lọc này.",
        "chart_numbers": "Số liệu",
        "bucket": "Từ ngày",
        "value": "Giá trị",
        "when": "Thời gian",
        "customer": "Khách hàng",
        "order": "Đơn",
        "scores": "Điểm",
        "words": "Lời khách hàng",
        "no_responses": "Không có phản hồi nào khớp bộ lọc.",
        "page_of": "Trang {page}/{pages}",
        "previous": "Trang trước",
        "next": "Trang sau",
        "total": "{n} phản hồi",
        "show": "Hiển thị",
        "show_mine": "Của tôi",
        "show_unclaimed": "Chưa ai nhận",
        "show_breached": "Quá hạn xử lý",
        "held_by": "Người phụ trách",
        "unclaimed": "chưa ai nhận",
        "you": "bạn",
        "escalated": "Đã báo quản lý",
        "escalated_at": "gửi nhóm quản lý lúc {at}",
        "recovery": "Khắc phục",
        "followup_question": (
            "Câu hỏi theo dõi gửi khách: “Vấn đề đã được giải quyết ổn thoả chưa?”"
        ),
        "followup_off": "Chưa cài câu hỏi theo dõi (SURVEYBOT_FOLLOWUP_FLOW).",
        "followup_waiting": "Sẽ hỏi khách {delay} sau khi ca được xử lý xong.",
        "followup_not_asked": (
            "Chưa hỏi: câu hỏi được gửi {delay} sau khi ca xử lý xong, nếu vẫn liên lạc được "
            "với khách."
        ),
        "followup_asked": "Đã hỏi",
        "followup_answer": "Câu trả lời",
        "followup_yes": "Đã ổn rồi",
        "followup_no": "Vẫn chưa",
        "followup_other": "“{answer}” (không tính vào tỉ lệ khắc phục)",
        "followup_no_answer": "Khách chưa trả lời.",
        "nps_after": "NPS sau đó",
        "recovered_of": "{recovered}/{n} khách nói đã ổn",
        "recovery_n": "n = số ca đã xử lý xong mà khách trả lời câu hỏi theo dõi (có hoặc chưa).",
        "no_followups": "Chưa có câu trả lời theo dõi nào với bộ lọc này.",
        "none": "Chưa có ca nào.",
        "opened": "Mở lúc",
        "severity": "Mức độ",
        "answers": "Trả lời",
        "status": "Trạng thái",
        "sla": "Hạn xử lý",
        "first_response": "Phản hồi đầu",
        "all": "Tất cả",
        "open": "Đang mở",
        "claimed": "Đã nhận",
        "resolved": "Đã xong",
        "case_title": "Ca #{id}",
        "conversation": "Trao đổi",
        "to_customer": "Gửi khách",
        "from_customer": "Từ khách",
        "note": "Ghi chú",
        "claimed_by": "Người nhận",
        "resolved_by": "Người xử lý xong",
        "no_messages": "Chưa có trao đổi nào trong ca này.",
        "vouchers": "Voucher",
        "all_cases": "Tất cả các ca",
        # working a case
        "work_case": "Xử lý ca này",
        "timeline_to_customer": "Gửi khách",
        "timeline_from_customer": "Từ khách",
        "timeline_note": "Ghi chú nội bộ",
        "timeline_claimed": "Đã nhận",
        "timeline_resolved": "Đã xong",
        "timeline_reopened": "Mở lại",
        "timeline_voucher": "Đã gửi voucher",
        "action_claim": "Nhận ca",
        "action_reply": "Gửi cho khách",
        "action_note": "Thêm ghi chú",
        "action_voucher": "Gửi voucher",
        "action_resolve": "Đóng ca",
        "action_reopen": "Mở lại",
        "reply_to_customer": "Trả lời khách",
        "internal_note": "Ghi chú nội bộ (chỉ nhân viên thấy)",
        "compensation": "Đền bù",
        "resolution_reason": "Lý do (không bắt buộc)",
        "case_changed": (
            "Ca đã thay đổi từ lúc trang này được mở (có người khác vừa xử lý): hãy xem lại "
            "bên dưới, rồi thử lại nếu vẫn cần làm."
        ),
        "field_required": "{field}: hãy nhập nội dung trước.",
        "event_stream_only": (
            "Địa chỉ này là luồng sự kiện cho các trang ca trực tiếp: hãy mở bằng "
            "EventSource (Accept: text/event-stream)."
        ),
        "field_too_long": "{field}: tối đa {limit} ký tự.",
        "done_claim": "Bạn đã nhận ca này.",
        "done_reply": "Tin trả lời của bạn đang được gửi tới khách.",
        "done_note": "Đã thêm ghi chú.",
        "done_voucher": "Đã gửi voucher cho khách.",
        "done_resolve": "Đã đóng ca. Cảm ơn bạn!",
        "done_reopen": "Ca đã được mở lại.",
        "campaign": "Chiến dịch",
        "kind": "Loại",
        "state": "Tình trạng",
        "running": "đang chạy",
        "paused": "tạm dừng",
        "ended": "đã kết thúc",
        "upcoming": "chưa bắt đầu",
        "budget": "Ngân sách",
        "issued": "Đã phát",
        "redeemed": "Đã dùng",
        "redemption": "Tỉ lệ dùng",
        "left": "Còn lại",
        "no_limit": "không giới hạn",
        "vouchers_n": "{n} voucher",
        "pool": "Kho mã",
        "pool_left": "còn {available}/{imported} mã",
        "low": "sắp hết",
        "misses": "Không phát được",
        "reorders": "Mua lại",
        "no_campaigns": "Chưa có chiến dịch nào. Thêm trong campaigns/*.yaml.",
        "default": "mặc định",
        "version": "Phiên bản",
        "languages": "Ngôn ngữ",
        "steps": "Các bước",
        "trigger": "Gửi khi",
        "walk_in": "khách tự vào (liên kết hoặc mã QR)",
        "funnel": "Phễu phản hồi",
        "sent": "Đã gửi",
        "started": "Đã bắt đầu",
        "completed": "Hoàn thành",
        "of_sent": "% số đã gửi",
        "no_flows": "Không có luồng nào đang chạy. Thêm trong flows/*.yaml.",
    },
}


def page_language(request: Request, default: str, remembered: str | None = None) -> str:
    """`?lang=`, then the remembered choice, then Accept-Language, then `default`."""
    wanted = [request.query_params.get("lang"), remembered]
    wanted += [
        part.split(";")[0].strip() for part in request.headers.get("accept-language", "").split(",")
    ]
    return choose_locale(wanted, LABELS.__contains__, default if default in LABELS else "en")


def wait_text(labels: dict[str, str], wait: timedelta) -> str:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 120:
        return labels["seconds"].format(n=seconds)
    return labels["minutes"].format(n=(seconds + 59) // 60)
