"""The worker's tasks (Huey; `python manage.py run_huey` finds them here), and starting a job."""

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


def start(job, *, inline):
    """Run the job now, in this request, or queue it for the worker.

    Queued once the job is saved for good, so that the worker always finds it."""
    if inline:
        jobs.run(job.pk)
    else:
        job_id = str(job.pk)
        transaction.on_commit(lambda: run_file_job(job_id))
    job.refresh_from_db(fields=["state", "result", "fingerprint", "record"])
