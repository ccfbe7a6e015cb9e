"""Pages of every list in the API. A page or page size that is not a whole
number of 1 or more is a 400, a page beyond the last a 404 saying how many
there are, as on the pages (common.paging); a page size above the most is
read as the most."""

from django.core.paginator import EmptyPage
from rest_framework import exceptions, pagination

from common import paging


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()
    page_query_description = "A page number, from 1. A page beyond the last one is a 404."

    @property
    def page_size_query_description(self):
        return f"How many items a page holds: {self.page_size} unless asked, at most {self.max_page_size}."

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = paging.page_number(raw) if raw != "" else None
        if size is None:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"A page size is a whole number from 1 to {self.max_page_size}."]})
        return min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        number = paging.page_number(raw) if raw != "" else None
        if number is None:
            raise exceptions.ValidationError({self.page_query_param: [paging.BAD_PAGE]})
        return number

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(number)
        except EmptyPage:
            raise exceptions.NotFound(paging.missing_page(number, paginator.num_pages))
        self.display_page_controls = paginator.num_pages > 1
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters


class DirectoryPagination(PageNumberPagination):
    """Pages of the public directory: 20 by default, `page_size` up to 100."""

    page_size = 20
    max_page_size = 100
    page_size_query_description = "How many providers a page holds: 20 unless asked, at most 100."
