"""Vouchers at the till: look a code up, redeem it once."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Security, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.campaigns.vouchers import Redemption
from bot.storable_text import StorableText
from bot.storage.models import Voucher
from bot.web.auth import ApiKeyRoute, bearer_scheme
from bot.web.errors import error_responses
from bot.web.services import WebServices, services_of

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


def _out(services: WebServices, voucher: Voucher) -> VoucherOut:
    campaign = services.campaigns.get(voucher.campaign_id)
    return VoucherOut(
        code=voucher.code,
        campaign=voucher.campaign_id,
        campaign_name=campaign.name if campaign else None,
        status=services.vouchers.state(voucher).value,
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
    services = services_of(request)
    voucher = await services.vouchers.lookup(code)
    if voucher is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _UNKNOWN)
    return _out(services, voucher)


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
    services = services_of(request)
    outcome, voucher = await services.vouchers.redeem(code, body.order_id)
    if outcome == Redemption.REDEEMED:
        assert voucher is not None
        return _out(services, voucher)
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
