"""Every task has a queue named for what it carries, a soft and a hard time
limit, and keeps no result unless asked; nothing waits at the broker long
enough for Redis to hand it out again."""

from django.conf import settings

from config.celery import app

QUEUES = {"deadlines", "mail", "maintenance"}


def ours() -> dict:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def limits(task) -> tuple[float, float]:
    return (task.soft_time_limit or app.conf.task_soft_time_limit, task.time_limit or app.conf.task_time_limit)


def test_every_task_is_routed_to_a_named_queue():
    tasks, routed = set(ours()), set(settings.TASK_QUEUES)
    assert not tasks - routed, f"give these a queue in TASK_QUEUES (settings): {tasks - routed}"
    assert not routed - tasks, f"no such tasks: {routed - tasks}"
    assert set(settings.TASK_QUEUES.values()) == QUEUES
    assert settings.TASK_QUEUES["calloffs.package_close"] == "deadlines"
    assert settings.TASK_QUEUES["calloffs.invitations_notify"] == "mail"
    assert settings.TASK_QUEUES["outbox.flush"] == "maintenance"
    # a worker started without --queues consumes them all, and the default queue
    consumed = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    suffix = settings.CELERY_QUEUE_SUFFIX
    assert consumed == {settings.CELERY_TASK_DEFAULT_QUEUE} | {f"{queue}{suffix}" for queue in QUEUES}


def test_every_task_has_a_soft_and_a_hard_time_limit_and_keeps_no_result():
    for name, task in ours().items():
        soft, hard = limits(task)
        assert soft and hard and soft < hard, name
        assert task.ignore_result, f"{name} keeps its result: ask for it where it is read"


def test_nothing_waits_at_the_broker_near_its_visibility_timeout():
    """A task sent with an ETA is unacknowledged until it has run: the
    furthest ETA plus the longest run must stay well inside the timeout."""
    longest = max(hard for _, hard in map(limits, ours().values()))
    assert settings.OUTBOX_LOOKAHEAD + longest < settings.CELERY_VISIBILITY_TIMEOUT
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT
    # a message handed over and not yet done is not handed over again before its ETA
    assert settings.OUTBOX_REDISPATCH_AFTER > settings.OUTBOX_LOOKAHEAD
