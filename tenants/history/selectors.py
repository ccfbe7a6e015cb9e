"""Reading the imports an authority has applied."""

from __future__ import annotations

from tenants.calloffs.models import Package
from tenants.history.models import HistoryImport, Kind


def imports_for_staff():
    return HistoryImport.objects.select_related("applied_by").order_by("-applied_at", "-pk")


def import_for_staff(import_id) -> HistoryImport | None:
    return imports_for_staff().filter(pk=import_id).first()


def imported_spot_packages():
    """The packages that stand for imported spot placements: awarded, never
    published or competed. A count of sourcing requests made through an
    agreement leaves them out."""
    return Package.objects.filter(placement__imported_row__kind=Kind.SPOT_PLACEMENTS)


def person_reference(person) -> str:
    """The reference in the authority's own case records under which a
    person was imported ("" if they were not): the way to find their name,
    which an import never records."""
    from tenants.history.models import ImportedRow

    row = ImportedRow.objects.filter(person=person).exclude(person_reference="").order_by("pk").first()
    return row.person_reference if row else ""
