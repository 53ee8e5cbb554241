import factory
from django.utils import timezone

from market.cooperatives.demo import example_tax_code
from market.models import Cooperative, CooperativeDocument, Membership, Province, User, Ward


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.vn")
    full_name = factory.Faker("name", locale="vi_VN")
    password = factory.PostGenerationMethodCall("set_password", "mat-khau-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kw):
        if create:
            obj.save()

    @factory.post_generation
    def platform_admin(obj, create, extracted, **kw):
        """`UserFactory(platform_admin=True)`: staff holding the explicit platform-admin
        permission (bare `is_staff` gives no platform powers)."""
        if create and extracted:
            from django.contrib.auth.models import Permission

            obj.is_staff = True
            obj.save(update_fields=["is_staff"])
            obj.user_permissions.add(
                Permission.objects.get(content_type__app_label="market", codename="platform_admin")
            )


class CooperativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cooperative

    class Params:
        verified = factory.Trait(
            status=Cooperative.Status.VERIFIED,
            verified_at=factory.LazyFunction(timezone.now),
            submitted_at=factory.LazyFunction(timezone.now),
        )

    kind = Cooperative.Kind.HTX
    legal_name = factory.Sequence(lambda n: f"Hợp tác xã Nông nghiệp Số {n}")
    slug = factory.Sequence(lambda n: f"htx-nong-nghiep-{n}")
    registration_number = factory.Sequence(lambda n: f"1207{n:06d}")
    tax_code = factory.Sequence(lambda n: example_tax_code(n + 5000))
    province = factory.LazyFunction(lambda: Province.objects.get(code=20))  # Lạng Sơn
    ward = factory.LazyAttribute(
        lambda o: Ward.objects.filter(province=o.province).order_by("code").first()
    )
    address = "Thôn Bản Chu"
    phone = "0912345678"
    representative = "Hoàng Văn Minh"
    bank_bin = "970405"
    bank_account = "8888123456789"
    bank_account_name = "HTX NONG NGHIEP"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    cooperative = factory.SubFactory(CooperativeFactory)
    role = Membership.Role.OWNER


# --- documents and uploads ---------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64  # a signature in front of nothing: not an image


def upload(
    name: str = "giay-dang-ky.pdf",
    content: bytes = PDF_BYTES,
    content_type: str = "application/pdf",
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


class CooperativeDocumentFactory(factory.django.DjangoModelFactory):
    """A business registration PDF stored in the private storage configured for the test."""

    class Meta:
        model = CooperativeDocument

    cooperative = factory.SubFactory(CooperativeFactory)
    kind = CooperativeDocument.Kind.BUSINESS_REGISTRATION
    original_name = "giay-dang-ky.pdf"
    content_type = "application/pdf"
    size = len(PDF_BYTES)

    @factory.lazy_attribute
    def file(self):
        from django.core.files.base import ContentFile
        from django.core.files.storage import storages

        return storages["private"].save("coop-docs/test/doc.pdf", ContentFile(PDF_BYTES))


def image_bytes(width: int = 64, height: int = 64, fmt: str = "PNG") -> bytes:
    """A real image Pillow can open (the logo check decodes the file, not only its first bytes)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (34, 139, 34)).save(buffer, fmt)
    return buffer.getvalue()
