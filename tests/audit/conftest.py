import pytest

from tests import support


@pytest.fixture
def scratch(committed_db):
    """A committed authority of the test's own, whose chain the test may
    break as a superuser; removed afterwards."""
    authority = support.scratch_authority()
    yield authority
    support.scratch_authority_remove(authority)
