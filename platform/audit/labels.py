"""How audit actions read to people. Actions are stable machine names
(`membership.granted`); the pages show these labels."""

ACTION_LABELS = {
    "authority.created": "Authority created",
    "authority.provisioned": "Authority set up",
    "authority.updated": "Authority changed",
    "membership.granted": "Role given",
    "membership.revoked": "Role taken away",
    "provider_membership.granted": "Provider role given",
    "user.invited": "Account created by invitation",
    "user.deactivated": "Account deactivated",
    "api_token.created": "API token created",
    "api_token.revoked": "API token revoked",
    "api_token.expired": "API token expired",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").replace(".", ": ").capitalize())
