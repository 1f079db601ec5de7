"""Partners and their keys."""

from __future__ import annotations

from clawvault.core.timeutil import utcnow
from clawvault.db.engine import Database
from clawvault.db.models import Environment
from clawvault.partners.domain import display_prefix, hash_api_key, new_api_key
from clawvault.partners.errors import PartnerExists, PartnerNotFound
from clawvault.partners.repository import KeyOwner, PartnerRepository


async def create_partner(db: Database, name: str) -> int:
    async with db.write() as conn:
        repo = PartnerRepository(conn)
        if await repo.partner_id_by_name(name) is not None:
            raise PartnerExists(f"Partner {name!r} already exists")
        return await repo.add_partner(name, utcnow())


async def ensure_partner(db: Database, name: str) -> int:
    async with db.write() as conn:
        return await PartnerRepository(conn).add_partner_if_absent(name, utcnow())


async def partner_id(db: Database, name: str) -> int:
    """The id of the partner called `name`; 404 "Partner not found" when there is none."""
    async with db.read() as conn:
        found = await PartnerRepository(conn).partner_id_by_name(name)
    if found is None:
        raise PartnerNotFound()
    return found


async def create_key(db: Database, partner_name: str, environment: Environment) -> str:
    """Creates a key and returns it in plain text: the only time it is ever seen."""
    key = new_api_key(environment)
    async with db.write() as conn:
        repo = PartnerRepository(conn)
        partner_id = await repo.partner_id_by_name(partner_name)
        if partner_id is None:
            raise PartnerNotFound(f"Partner {partner_name!r} not found")
        await repo.add_key(
            partner_id, hash_api_key(key), display_prefix(key), environment, utcnow()
        )
    return key


async def key_owner(db: Database, key: str) -> KeyOwner | None:
    async with db.read() as conn:
        return await PartnerRepository(conn).find_key_owner(hash_api_key(key))
