"""Vouchers at the till: look a code up, redeem it once."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Security, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.campaigns.vouchers import Redemption
from bot.storable_text import StorableText
from bot.storage.models import Voucher
from bot.web.auth import ApiKeyRoute, bearer_scheme
from bot.web.errors import error_responses

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

router = APIRouter(
    prefix="/api/v1",
    tags=["vouchers"],
    route_class=ApiKeyRoute,
    dependencies=[Security(bearer_scheme)],
)

Code = Annotated[str, Path(min_length=1, max_length=64, description="The voucher code.")]


class RedeemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: Annotated[
        StorableText, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)
    ]


class VoucherOut(BaseModel):
    code: str
    campaign: str
    campaign_name: str | None
    status: str = Field(description="valid, redeemed or expired")
    percent: int | None
    amount: Decimal | None
    currency: str | None
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
    redeemed_order: str | None


def _out(runtime: Runtime, voucher: Voucher) -> VoucherOut:
    campaign = runtime.campaigns.get(voucher.campaign_id)
    return VoucherOut(
        code=voucher.code,
        campaign=voucher.campaign_id,
        campaign_name=campaign.name if campaign else None,
        status=runtime.vouchers.state(voucher).value,
        percent=voucher.percent,
        amount=voucher.amount,
        currency=voucher.currency,
        issued_at=voucher.issued_at,
        expires_at=voucher.expires_at,
        redeemed_at=voucher.redeemed_at,
        redeemed_order=voucher.redeemed_order,
    )


_UNKNOWN = "no voucher has this code"


@router.get(
    "/vouchers/{code}",
    response_model=VoucherOut,
    responses=error_responses(400, 401, 403, 404, 422, notes={404: "No voucher has this code."}),
    summary="Look a voucher up (point of sale)",
)
async def get_voucher(code: Code, request: Request) -> VoucherOut:
    runtime: Runtime = request.app.state.runtime
    voucher = await runtime.vouchers.lookup(code)
    if voucher is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _UNKNOWN)
    return _out(runtime, voucher)


@router.post(
    "/vouchers/{code}/redeem",
    response_model=VoucherOut,
    responses=error_responses(
        400,
        401,
        403,
        404,
        409,
        410,
        413,
        422,
        notes={
            404: "No voucher has this code.",
            409: "Already redeemed; `detail` says when and for which order.",
            410: "The voucher has expired; `detail` says when.",
        },
    ),
    summary="Redeem a voucher for an order",
)
async def redeem_voucher(code: Code, body: RedeemIn, request: Request) -> VoucherOut:
    """Exactly one of any number of concurrent redemptions of a code succeeds."""
    runtime: Runtime = request.app.state.runtime
    outcome, voucher = await runtime.vouchers.redeem(code, body.order_id)
    if outcome == Redemption.REDEEMED:
        assert voucher is not None
        return _out(runtime, voucher)
    if outcome == Redemption.UNKNOWN or voucher is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _UNKNOWN)
    if outcome == Redemption.ALREADY:
        assert voucher.redeemed_at is not None
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            {
                "message": "this voucher was already redeemed",
                "redeemed_at": voucher.redeemed_at.isoformat(),
                "redeemed_order": voucher.redeemed_order,
            },
        )
    raise HTTPException(
        status.HTTP_410_GONE,
        {"message": "this voucher has expired", "expires_at": voucher.expires_at.isoformat()},
    )
