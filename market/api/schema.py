"""The one rule for OpenAPI operation ids: drf-spectacular's path-based id
(`v1_orders_cancel_create`), with a file extension in the path spelt as a word
(`v1_coop_orders_export_csv_retrieve`, not `v1_coop_orders_export.csv_retrieve`). No view sets
`operation_id` by hand, so every id reads the same way and follows its URL."""

import re

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        return re.sub(r"_{2,}", "_", operation_id.replace(".", "_")).strip("_")
