"""The two environments of the Partner API, each an implementation of every domain's port:
production's services, and the sandbox's. The route prefix picks one (a caller's environment is
its path's: /api/v1 or /_/api/v1, see partners.auth); below the routers, production code never
asks which environment it serves, and nothing but this module and the app imports the sandbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from clawvault.buyback import service as buyback_service
from clawvault.buyback.port import BuybackPort
from clawvault.core.runtime import Runtime, request_unit
from clawvault.db.models import Environment
from clawvault.db.unit import Unit
from clawvault.fairness import service as fairness_service
from clawvault.fairness.port import FairnessPort
from clawvault.inventory import service as inventory_service
from clawvault.inventory.port import InventoryPort
from clawvault.packs import service as packs_service
from clawvault.packs.port import PacksPort
from clawvault.partners.auth import Caller, get_caller
from clawvault.pulls import service as pulls_service
from clawvault.pulls.port import PullsPort
from clawvault.sandbox import fairness as sandbox_fairness
from clawvault.sandbox import holdings as sandbox_holdings
from clawvault.sandbox import packs as sandbox_packs
from clawvault.sandbox import pulls as sandbox_pulls
from clawvault.sandbox import shipping as sandbox_shipping
from clawvault.sandbox.errors import SandboxStateUnavailable
from clawvault.shipping import service as shipping_service
from clawvault.shipping.port import ShippingPort


@dataclass(frozen=True)
class Variant:
    packs: PacksPort
    pulls: PullsPort
    inventory: InventoryPort
    buyback: BuybackPort
    shipping: ShippingPort
    fairness: FairnessPort


PRODUCTION = Variant(
    packs=packs_service,
    pulls=pulls_service,
    inventory=inventory_service,
    buyback=buyback_service,
    shipping=shipping_service,
    fairness=fairness_service,
)
SANDBOX = Variant(
    packs=sandbox_packs,
    pulls=sandbox_pulls,
    inventory=sandbox_holdings,
    buyback=sandbox_holdings,
    shipping=sandbox_shipping,
    fairness=sandbox_fairness,
)
_BY_ENVIRONMENT = {Environment.PRODUCTION: PRODUCTION, Environment.SANDBOX: SANDBOX}


def variant(caller: Caller) -> Variant:
    """The implementation that serves this caller: its path's environment."""
    return _BY_ENVIRONMENT[caller.environment]


def unit_of(scope: Mapping[str, Any], runtime: Runtime, caller: Caller) -> Unit:
    """The unit of work of a Partner API request (ASGI `scope`), on its environment's store:
    production's database, or the sandbox store (whose requests read the catalog from
    production's)."""
    if caller.environment is Environment.PRODUCTION:
        return request_unit(scope, runtime.db)
    if runtime.sandbox_db is None:
        raise SandboxStateUnavailable()
    unit = request_unit(scope, runtime.sandbox_db)
    unit.catalog = runtime.db
    return unit


@dataclass(frozen=True)
class PartnerCall:
    """What a Partner API route needs besides its input, as one dependency (`partner_call`):
    who calls, the implementations that serve them, the runtime and the request's unit of
    work. FastAPI solves each dependency with bookkeeping of its own: the three they were cost
    a route about 30 µs of CPU more than this one."""

    caller: Caller
    serve: Variant
    runtime: Runtime
    unit: Unit


async def partner_call(request: Request) -> PartnerCall:
    """The route dependency of every Partner API route that serves both environments."""
    caller = await get_caller(request)
    runtime: Runtime = request.app.state.runtime
    return PartnerCall(caller, variant(caller), runtime, unit_of(request.scope, runtime, caller))
