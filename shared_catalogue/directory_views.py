"""The public directory: approved providers that citizens, families and
brokers can find without signing in. Filters come by GET, so every search
and every page of results is a link."""

from django.core.paginator import EmptyPage, Paginator
from django.http import Http404
from django.shortcuts import render
from django.views import View

from common.paging import BAD_PAGE, missing_page, page_number
from shared_catalogue import forms, selectors

PAGE_SIZE = 20


class DirectoryView(View):
    template_name = "shared_catalogue/directory/list.html"

    def get(self, request):
        form = forms.DirectoryFilterForm(request.GET, options=selectors.directory_options())
        context = {"form": form}
        number = page_number(request.GET.get("page"))
        if not form.is_valid() or number is None:
            if number is None:
                form.add_error(None, BAD_PAGE)
            return render(request, self.template_name, context, status=400)

        paginator = Paginator(selectors.directory(filters=form.filters), PAGE_SIZE)
        try:
            page = paginator.page(number)
        except EmptyPage:
            # Consistent with the API: a page beyond the last is not found,
            # and the page says where the last one is.
            context.update(missing_page=missing_page(number, paginator.num_pages), paginator=paginator)
            return render(request, self.template_name, context, status=404)
        context.update(page=page, paginator=paginator,
                       page_range=paginator.get_elided_page_range(number, on_each_side=1, on_ends=1))
        return render(request, self.template_name, context)


class DirectoryEntryView(View):
    def get(self, request, provider_id):
        provider = selectors.directory_entry(provider_id=provider_id)
        if provider is None:
            raise Http404("No such provider in the directory.")
        return render(request, "shared_catalogue/directory/entry.html", {"provider": provider})
