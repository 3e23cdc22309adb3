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


class BodyStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("正文"), features=["h3", "bold", "italic", "link", "ol", "ul", "hr", "document-link"]
    )
    image = ImageBlock(label=_("图片"))
    notice = NoticeBlock()
    attachment = AttachmentBlock()
    quote = QuoteBlock()
