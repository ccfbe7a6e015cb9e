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
    # payments to providers
    "payments.settings_set": "How providers are paid changed",
    "payments.period_opened": "Payment period made",
    "payments.supplier_reference_set": "Provider's supplier reference set",
    "payments.cost_centre_set": "Lot's cost centre set",
    "payments.schedules_generated": "Payment schedules generated for a period",
    "payments.schedule_regenerated": "Payment schedule made again",
    "payments.schedule_issued": "Payment schedule issued to the provider",
    "payments.schedule_confirmed": "Payment schedule confirmed by the provider",
    "payments.schedule_queried": "Payment schedule queried",
    "payments.query_answered": "Payment query answered",
    "payments.line_adjusted": "Payment line adjusted",
    "payments.invoice_entered": "Provider's invoice entered",
    "payments.schedule_approved": "Payment schedule approved for payment",
    "payments.schedule_exported": "Payment schedule exported to the finance system",
    # reports
    "reports.outcome_export_settings_set": "Call-off outcome export settings changed",
    "reports.outcome_export_sent": "Call-off outcome export sent",
    "reports.outcome_export_not_sent": "Call-off outcome export not sent: nobody to send to",
    "reports.outcome_export_send_asked": "Call-off outcome export sent on request",
    # history
    "history.imported": "History imported from a file",
    "agreement.spot_purchases_made": "Holding agreement for spot purchases made",
    "admission.new_to_authority_corrected": "Admission’s “new to the authority” corrected",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").replace(".", ": ").capitalize())
