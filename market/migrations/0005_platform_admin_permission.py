from django.db import migrations

GROUP = "Platform admins"


def create_group(apps, schema_editor):
    """The permission now, not at post_migrate, so the group can hold it in the same run.
    Existing non-superuser staff are deliberately not added: being staff no longer makes anyone
    a platform admin; an admin grants the group to the people who are."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="market", model="user")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="platform_admin",
        defaults={"name": "Platform administrator: verification, every order, certifications"},
    )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission)


def drop_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("market", "0004_background_task"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [
                    (
                        "platform_admin",
                        "Platform administrator: verification, every order, certifications",
                    )
                ],
                "verbose_name": "user",
                "verbose_name_plural": "users",
            },
        ),
        migrations.RunPython(create_group, drop_group),
    ]
