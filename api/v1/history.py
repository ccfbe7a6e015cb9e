"""Importing an authority's history through the API: /a/<slug>/api/v1/history-imports/

POST a CSV file (multipart: `kind`, `file`, `dry_run`, true unless said
otherwise). A dry run of a good file answers 200 with the report (what
would be made, and rows imported before); applying it answers 201 with what
was made. A file with problems is a 400 either way, listing every problem
(row, column, message) with the report, and nothing is written. GET lists the imports
applied (who, when, the file's digest, what they made). Commissioners and
authority admins only (tenants/history/policy.py); the layouts are in
docs/history-import.md."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience
from api.base import TenantAPIMixin
from api.problems import CONTENT_TYPE, problem_body
from api.strict import StrictSerializer
from tenants.history import policy, selectors, services
from tenants.history.filters import HistoryImportFilters
from tenants.history.models import Kind
from tenants.history.reading import MAX_BYTES


class ProblemOut(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row in the file (the header is row 1; 0 for the file as a whole).")
    column = serializers.CharField(help_text="The column, blank for the whole row or file.")
    message = serializers.CharField()


class ReportOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    file_name = serializers.CharField()
    file_sha256 = serializers.CharField()
    rows = serializers.IntegerField(help_text="Rows of data read.")
    dry_run = serializers.BooleanField()
    ok = serializers.BooleanField(help_text="True when nothing is wrong: the file can be applied.")
    problems = ProblemOut(many=True, help_text="Every problem found; applying needs none.")
    skipped = ProblemOut(many=True, help_text="Rows imported before, left as they are.")
    would_create = serializers.DictField(child=serializers.IntegerField(), help_text="What applying would make.")
    created = serializers.DictField(child=serializers.IntegerField(), help_text="What applying made.")
    import_id = serializers.IntegerField(allow_null=True)


class ProblemWithReportOut(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="Every problem, by “row N, column”.")
    instance = serializers.CharField(required=False)
    report = ReportOut(required=False, help_text="The whole check, when a file was read (not when the request "
                                                  "itself was incomplete: no file, or no kind).")


class ImportOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    file_name = serializers.CharField()
    file_sha256 = serializers.CharField()
    rows = serializers.IntegerField()
    created = serializers.DictField(child=serializers.IntegerField())
    skipped = serializers.IntegerField()
    applied_by = serializers.CharField(source="applied_by.get_full_name", help_text="Who applied it.")
    applied_at = serializers.DateTimeField()


class ImportIn(StrictSerializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    file = serializers.FileField(help_text=f"CSV in UTF-8 with a header row, up to {MAX_BYTES // (1024 * 1024)} MB.")
    dry_run = serializers.BooleanField(default=True, help_text="Check only (the default); false to apply.")


class HistoryAPI(TenantAPIMixin):
    audience = Audience.STAFF

    def allowed(self) -> None:
        if not policy.can_import_history(self.access):
            raise PermissionDenied(services.REFUSED)


class HistoryImportListView(HistoryAPI, GenericAPIView):
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = ImportOut
    filterset_class = HistoryImportFilters

    @extend_schema(responses=ImportOut(many=True), summary="History imports applied here")
    def get(self, request):
        self.allowed()
        page = self.paginate_queryset(self.filter_queryset(selectors.imports_for_staff()))
        return self.get_paginated_response(ImportOut(page, many=True).data)

    @extend_schema(request={"multipart/form-data": ImportIn},
                   responses={200: ReportOut, 201: ReportOut, (400, CONTENT_TYPE): ProblemWithReportOut},
                   summary="Check a history file (dry run, the default) or import it")
    def post(self, request):
        self.allowed()
        data = ImportIn(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > MAX_BYTES:
            raise serializers.ValidationError({"file": [f"The file can be at most {MAX_BYTES // (1024 * 1024)} MB: "
                                                        "split it into smaller files."]})
        dry_run = data.validated_data["dry_run"]
        try:
            report = services.history_import(actor=request.user, kind=data.validated_data["kind"],
                                              file_name=upload.name, data=upload.read(), dry_run=dry_run)
        except services.FileRefused as refused:
            return _refused(request, refused)
        if not report.ok:  # a dry run that found problems: the same answer as applying it would give
            return _refused(request, services.FileRefused(report))
        return Response(ReportOut(report.as_dict()).data,
                        status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED)


def _refused(request, refused: services.FileRefused) -> Response:
    """400, with every problem under `errors` ("row 3, start_date": [...]) and the whole report."""
    count = len(refused.report.problems)
    detail = (f"The file has {count} problem{'s' if count != 1 else ''}: nothing was imported. Each is listed with "
              "its row and column.")
    body = problem_body(status=400, detail=detail, instance=request.path, code="validation-error",
                        errors=refused.message_dict)
    body["report"] = ReportOut(refused.report.as_dict()).data
    return Response(body, status=status.HTTP_400_BAD_REQUEST, content_type=CONTENT_TYPE)


class HistoryImportDetailView(HistoryAPI, APIView):
    @extend_schema(responses=ImportOut, summary="One applied history import")
    def get(self, request, import_id):
        self.allowed()
        done = selectors.import_for_staff(import_id)
        if done is None:
            raise Http404("No history import with that id here.")
        return Response(ImportOut(done).data)
