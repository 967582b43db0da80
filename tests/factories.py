"""factory-boy factories for the models tests build on."""

import factory
from django.contrib.auth import get_user_model

from projects import services
from projects.models import Membership, Project


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-Word-123")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class ProjectFactory(factory.Factory):
    """Projects go through the service, so they are what a user would create."""

    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    task_type = "classification"
    labels = factory.LazyFunction(lambda: ["positive", "negative", "neutral"])
    label_scale = "nominal"
    overlap = 2
    guidelines = "Label the **sentiment**."
    user = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, user, **kwargs):
        return services.project_create(user=user, **kwargs)

    @classmethod
    def _build(cls, model_class, user, **kwargs):
        return cls._create(model_class, user, **kwargs)


def add_member(project: Project, user, role: str) -> Membership:
    return services.membership_set(project=project, username=user.username, role=role)
