"""Every StreamField block the site's pages use, in one place (as wagtail/bakerydemo keeps them)."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("标题"), max_length=80)
    size = blocks.ChoiceBlock(
        label=_("级别"), choices=[("h2", _("二级标题")), ("h3", _("三级标题"))], default="h2"
    )

    class Meta:
        icon = "title"
        label = _("标题")
        template = "portal/blocks/heading.html"


class NoticeBlock(blocks.StructBlock):
    """A highlighted box for deadlines, hotlines and other things a reader must not miss."""

    title = blocks.CharBlock(label=_("提示标题"), max_length=60)
    text = blocks.RichTextBlock(label=_("内容"), features=["bold", "link", "ol", "ul"])
    tone = blocks.ChoiceBlock(
        label=_("样式"), choices=[("info", _("提示")), ("warning", _("注意"))], default="info"
    )

    class Meta:
        icon = "warning"
        label = _("提示框")
        template = "portal/blocks/notice.html"


class AttachmentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("文件"))
    title = blocks.CharBlock(label=_("显示名称"), required=False)

    class Meta:
        icon = "doc-full"
        label = _("附件")
        template = "portal/blocks/attachment.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("引文"))
    source = blocks.CharBlock(label=_("出处"), required=False)

    class Meta:
        icon = "openquote"
        label = _("引文")
        template = "portal/blocks/quote.html"


# The rendition the image block's template shows (templates/portal/blocks/image.html).
BODY_IMAGE_SPEC = "fill-600x338"


class BodyImageBlock(ImageBlock):
    """An image in the text, with its alt text; the images of a body are read in one query (Wagtail's bulk
    conversion) and their renditions in one more, whatever the number of images, instead of one per image.

    It deconstructs as Wagtail's ImageBlock (see ``ImageBlock.deconstruct``), so the migrations do not change."""

    class Meta:
        icon = "image"
        template = "portal/blocks/image.html"

    def bulk_to_python(self, values):
        from django.db.models import Prefetch, prefetch_related_objects
        from wagtail.images import get_image_model

        images = super().bulk_to_python(values)
        rendition_model = get_image_model().get_rendition_model()
        prefetch_related_objects(
            [image for image in images if image is not None],
            Prefetch("renditions", queryset=rendition_model.objects.filter(filter_spec=BODY_IMAGE_SPEC)),
        )
        return images


class BodyStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("正文"), features=["h3", "bold", "italic", "link", "ol", "ul", "hr", "document-link"]
    )
    image = BodyImageBlock(label=_("图片"))
    notice = NoticeBlock()
    attachment = AttachmentBlock()
    quote = QuoteBlock()


class EventSessionBlock(blocks.StructBlock):
    """One part of a 公益 event: 成果展演, 公益体验, 人才推介 or 项目洽谈, with its time and place."""

    kind = blocks.ChoiceBlock(
        label=_("环节"),
        choices=[
            ("showcase", _("成果展演")),
            ("experience", _("公益体验")),
            ("talent", _("人才推介")),
            ("matching", _("项目洽谈")),
        ],
    )
    title = blocks.CharBlock(label=_("名称"), max_length=80)
    starts_at = blocks.DateTimeBlock(label=_("开始时间"), required=False)
    place = blocks.CharBlock(label=_("地点"), max_length=80, required=False)
    description = blocks.TextBlock(label=_("内容"), required=False)

    class Meta:
        icon = "date"
        label = _("活动环节")
        template = "portal/blocks/event_session.html"


class EventSessionsBlock(blocks.StreamBlock):
    session = EventSessionBlock()
