"""The moderation of showcase entries: the jurisdiction-scoped approval task, and the 公益项目审核 workflow with that
one task, assigned to the showcase index page when it already exists (portal.showcase.ensure_workflow assigns it
to an index page made later). Idempotent: rows found by name are reused."""

import django.db.models.deletion
from django.db import migrations, models

WORKFLOW_NAME = "公益项目审核"
TASK_NAME = "辖区民政干部审核"


def create_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ShowcaseApprovalTask = apps.get_model("portal", "ShowcaseApprovalTask")
    ShowcaseIndexPage = apps.get_model("portal", "ShowcaseIndexPage")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")

    content_type, _ = ContentType.objects.get_or_create(app_label="portal", model="showcaseapprovaltask")
    task = ShowcaseApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = ShowcaseApprovalTask.objects.create(name=TASK_NAME, content_type=content_type, active=True)
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
    WorkflowTask.objects.get_or_create(workflow=workflow, task_id=task.pk, defaults={"sort_order": 0})
    for page_id in ShowcaseIndexPage.objects.values_list("page_ptr_id", flat=True):
        WorkflowPage.objects.get_or_create(page_id=page_id, defaults={"workflow": workflow})


def remove_workflow(apps, schema_editor):
    Task = apps.get_model("wagtailcore", "Task")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task.objects.filter(content_type__app_label="portal", content_type__model="showcaseapprovaltask").delete()
    Workflow.objects.filter(name=WORKFLOW_NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("portal", "0003_showcase_news_policy_event_pages"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.CreateModel(
            name="ShowcaseApprovalTask",
            fields=[
                ("task_ptr", models.OneToOneField(
                    auto_created=True, on_delete=django.db.models.deletion.CASCADE, parent_link=True,
                    primary_key=True, serialize=False, to="wagtailcore.task",
                )),
            ],
            options={
                "verbose_name": "辖区民政干部审核",
                "verbose_name_plural": "辖区民政干部审核",
            },
            bases=("wagtailcore.task",),
        ),
        migrations.RunPython(create_workflow, remove_workflow),
    ]
