"""What API tests share: a client signed in as someone, and the checks of
an answer (a success's JSON, or a problem document with its status)."""

from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def ok(response, status: int = 200):
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response.json()


def problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    assert response["Content-Type"] == "application/problem+json"
    return response.json()
