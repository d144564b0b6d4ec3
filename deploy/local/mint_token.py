"""Print an ``authorization`` header for calling the services by hand.

    make token ROLES=pre_sales REGION=cn-east USER=u1 [DEPT=sales-east] [HOURS=12]

The token is signed with this deployment's ``CRM_AUTH_SECRET`` and issuer, as
the gateway would sign it; roles are comma-separated.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.chassis.auth import Identity, issue_token
from services.chassis.catalog import api_services
from services.chassis.settings import InfraSettings

ROOT = Path(__file__).resolve().parents[2]


def known_roles() -> list[str]:
    """Every role some RPC grants, from the (crm.common.v1.access) options of the protos."""
    from crm.common.v1 import access_pb2

    return sorted({grant.role for service in api_services() for method in service.methods
                   for grant in method.GetOptions().Extensions[access_pb2.access].grants})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print an authorization header.")
    parser.add_argument("--roles", default="pre_sales", help="comma-separated roles")
    parser.add_argument("--user", default="demo-user")
    parser.add_argument("--region", default="")
    parser.add_argument("--dept", default="")
    parser.add_argument("--hours", type=float, default=12.0)
    args = parser.parse_args(argv)
    roles = frozenset(r.strip() for r in args.roles.split(",") if r.strip())
    known = known_roles()
    if unknown := sorted(roles - set(known)):
        print(f"unknown role(s): {', '.join(unknown)}; roles are: {', '.join(known)}",
              file=sys.stderr)
        return 2
    infra = InfraSettings()
    identity = Identity(args.user, roles, region=args.region or infra.region,
                        department=args.dept, display_name=args.user)
    token = issue_token(identity, infra.auth_secret, issuer=infra.auth_issuer,
                        ttl=timedelta(hours=args.hours))
    print(f"authorization: Bearer {token}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
