"""Partners and their keys."""

from __future__ import annotations

from collections.abc import Sequence

from clawvault.core.timeutil import utcnow
from clawvault.db.conn import Conn
from clawvault.db.models import Environment
from clawvault.db.unit import Unit
from clawvault.partners.domain import display_prefix, hash_api_key, new_api_key
from clawvault.partners.errors import PartnerExists, PartnerNotFound
from clawvault.partners.repository import KeyOwner, PartnerRepository


async def create_partner(unit: Unit, name: str) -> int:
    async def work(conn: Conn) -> int:
        repo = PartnerRepository(conn)
        if await repo.partner_id_by_name(name) is not None:
            raise PartnerExists(f"Partner {name!r} already exists")
        return await repo.add_partner(name, utcnow())

    return await unit.write(work, attempts=1)


async def partner_id(unit: Unit, name: str) -> int:
    """The id of the partner called `name`; 404 "Partner not found" when there is none."""

    async def read(conn: Conn) -> int:
        return await partner_id_in(conn, name)

    return await unit.read(read)


async def partner_id_in(conn: Conn, name: str) -> int:
    """`partner_id`, in the transaction of `conn` (for a write that needs it)."""
    found = await PartnerRepository(conn).partner_id_by_name(name)
    if found is None:
        raise PartnerNotFound()
    return found


async def create_key(unit: Unit, partner_name: str, environment: Environment) -> str:
    """Creates a key and returns it in plain text: the only time it is ever seen."""
    return (await _add_keys(unit, partner_name, [environment], add_partner=False))[0]


async def ensure_partner_keys(
    unit: Unit, partner_name: str, environments: Sequence[Environment]
) -> list[str]:
    """Adds the partner unless it exists, and a new key for each environment (in plain text, in
    their order), in one transaction."""
    return await _add_keys(unit, partner_name, environments, add_partner=True)


async def _add_keys(
    unit: Unit, partner_name: str, environments: Sequence[Environment], *, add_partner: bool
) -> list[str]:
    keys = [new_api_key(environment) for environment in environments]

    async def work(conn: Conn) -> None:
        repo = PartnerRepository(conn)
        partner_id = await (
            repo.add_partner_if_absent(partner_name, utcnow())
            if add_partner
            else repo.partner_id_by_name(partner_name)
        )
        if partner_id is None:
            raise PartnerNotFound(f"Partner {partner_name!r} not found")
        for key, environment in zip(keys, environments, strict=True):
            await repo.add_key(
                partner_id, hash_api_key(key), display_prefix(key), environment, utcnow()
            )

    await unit.write(work, attempts=1)
    return keys


async def key_owner(unit: Unit, key: str) -> KeyOwner | None:
    async def read(conn: Conn) -> KeyOwner | None:
        return await PartnerRepository(conn).find_key_owner(hash_api_key(key))

    return await unit.read(read)
