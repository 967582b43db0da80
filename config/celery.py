"""The Celery app. Settings come from Django's, under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("groundwork")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _ensure_broker_folders() -> None:
    """The filesystem broker needs its folders before the first message."""
    for folder in (
        app.conf.broker_transport_options.get("data_folder_in", ""),
        app.conf.broker_transport_options.get("processed_folder", ""),
        app.conf.broker_transport_options.get("control_folder", ""),
    ):
        if folder:
            os.makedirs(folder, exist_ok=True)


if str(app.conf.broker_url or "").startswith("filesystem://"):
    _ensure_broker_folders()
