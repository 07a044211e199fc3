"""The worker's tasks (Huey; `python manage.py run_huey` finds them here), and starting a job."""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import jobs


@db_task()
def run_file_job(job_id):
    jobs.run(job_id, heartbeat=True)


@db_periodic_task(crontab(minute="*/30"))
def delete_expired_file_jobs():
    jobs.delete_expired()


@db_periodic_task(crontab(hour="4", minute="10"))
def delete_old_logins():
    # axes records every staff login (its admin's "Access logs") and keeps them for ever.
    AxesProxyHandler.reset_logs(age_days=settings.LOGIN_LOG_KEPT_DAYS)


def start(job, *, inline):
    """Run the job now, in this request, or queue it for the worker.

    Queued once the job is saved for good, so that the worker always finds it."""
    if inline:
        jobs.run(job.pk)
    else:
        job_id = str(job.pk)
        transaction.on_commit(lambda: run_file_job(job_id))
    job.refresh_from_db(fields=["state", "result", "fingerprint", "record"])
