from django.conf import settings


def jointly(request):
    tenant = getattr(request, "tenant", None)
    authority = tenant if tenant is not None and not tenant.is_platform else None
    return {
        "service_name": settings.SERVICE_NAME,
        "authority": authority,
    }
