"""Bank account (payee) changes: the cooperative's list, and the admin's approve / reject."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from market.accounts.apis import ERROR
from market.api.permissions import IsPlatformAdmin, SignedInApiRequest
from market.cooperatives import payee, selectors


class PayeeChangeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    cooperative_id = serializers.IntegerField()
    bank_bin = serializers.CharField()
    bank_account = serializers.CharField()
    bank_account_name = serializers.CharField()
    name_matches = serializers.BooleanField()
    name_override = serializers.BooleanField()
    status = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class PayeeChangeListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: PayeeChangeOutput(many=True), 404: ERROR},
        summary="Bank account changes of a cooperative, newest first (its staff and admins)",
    )
    def get(self, request: SignedInApiRequest, pk: int) -> Response:
        changes = selectors.payee_change_list_for_user(user=request.user, cooperative_id=pk)
        return Response(PayeeChangeOutput(changes, many=True).data)


class PayeeChangePendingListApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        responses={200: PayeeChangeOutput(many=True), 403: ERROR},
        summary="Bank account changes waiting for approval, oldest first (admins)",
    )
    def get(self, request: SignedInApiRequest) -> Response:
        changes = selectors.payee_change_list_pending_for_admin()
        return Response(PayeeChangeOutput(changes, many=True).data)


class PayeeChangeApproveInput(serializers.Serializer):
    override_name_check = serializers.BooleanField(required=False, default=False)


class PayeeChangeRejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True)


class PayeeChangeApproveApi(APIView):
    permission_classes = [IsPlatformAdmin]
    Input = PayeeChangeApproveInput

    @extend_schema(
        request=Input,
        responses={200: PayeeChangeOutput, 403: ERROR, 404: ERROR, 409: ERROR},
        summary="Approve a bank account change (admins); a holder name that is not the legal "
        "name needs override_name_check",
    )
    def post(self, request: SignedInApiRequest, pk: int, change_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        change = payee.payee_change_approve(
            actor=request.user,
            cooperative_id=pk,
            change_id=change_id,
            override_name_check=data.validated_data["override_name_check"],
        )
        return Response(PayeeChangeOutput(change).data)


class PayeeChangeRejectApi(APIView):
    permission_classes = [IsPlatformAdmin]
    Input = PayeeChangeRejectInput

    @extend_schema(
        request=Input,
        responses={200: PayeeChangeOutput, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
        summary="Refuse a bank account change with a reason (admins)",
    )
    def post(self, request: SignedInApiRequest, pk: int, change_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        change = payee.payee_change_reject(
            actor=request.user,
            cooperative_id=pk,
            change_id=change_id,
            reason=data.validated_data["reason"],
        )
        return Response(PayeeChangeOutput(change).data)
