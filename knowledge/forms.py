from django import forms

from incidents.models import Product
from servicedesk.lib.forms import NHSNumberGuardMixin

from .models import Article

# Addresses under /help/articles/ that are pages of their own (knowledge/urls.py), not articles.
RESERVED_SLUGS = frozenset({"suggestions"})


class ArticleForm(NHSNumberGuardMixin, forms.ModelForm):
    """Admin's article form. An NHS number in the title or body is refused unless the agent confirms that
    the numbers shown are not NHS numbers (a help article has no business holding patient data)."""

    class Meta:
        model = Article
        fields = ["title", "slug", "body", "products", "audience", "published"]

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(
                "“%(slug)s” is the address of a page of the help articles. Choose another slug.",
                params={"slug": slug},
            )
        return slug


class ArticleSearchForm(forms.Form):
    """The portal's search of articles: words, and a product (only one that has published articles)."""

    q = forms.CharField(
        label="Search help articles",
        help_text="Every word must appear, in any order; the start of a word is enough.",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "aria-describedby": "id_q_helptext"}),
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(), required=False, empty_label="Any product"
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        field.queryset = products
        # Read once, for the template's "any to offer?" and the options alike (a choice sent is then
        # checked against `products` by the field).
        self.offered_products = list(products)
        field.choices = [
            ("", field.empty_label),
            *((product.pk, product.name) for product in self.offered_products),
        ]

    @property
    def valid_filters(self):
        """What was asked for and is valid; a bad product is left out (and named by the form's errors)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items() if value}
