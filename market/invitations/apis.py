"""Invitation API: an owner's pending invitations (list, revoke) and accepting one.

Inviting is `POST cooperatives/<id>/members/` (market.cooperatives.apis.MemberListAddApi)."""

from django.http.response import HttpResponseBase
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from market.accounts.apis import ERROR, name_nested_serializers
from market.api.permissions import SignedInApiRequest
from market.api.responses import created
from market.cooperatives import selectors
from market.errors import NotFound
from market.invitations import services as invitations


class InvitationListApi(APIView):
    permission_classes = [IsAuthenticated]

    class Output(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        role = serializers.CharField()
        created_at = serializers.DateTimeField()
        expires_at = serializers.DateTimeField()

    @extend_schema(
        responses={200: Output(many=True), 403: ERROR, 404: ERROR},
        summary="Pending invitations of a cooperative (owner only)",
    )
    def get(self, request: SignedInApiRequest, pk: int) -> Response:
        pending = selectors.invitation_list_for_owner(user=request.user, cooperative_id=pk)
        return Response(self.Output(pending, many=True).data)


class InvitationRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={204: None, 403: ERROR, 404: ERROR},
        summary="Withdraw a pending invitation (owner only)",
    )
    def delete(self, request: SignedInApiRequest, pk: int, invitation_id: int) -> Response:
        if selectors.as_id(invitation_id) is None:
            raise NotFound()
        invitations.invitation_revoke(
            actor=request.user, cooperative_id=pk, invitation_id=invitation_id
        )
        return Response(status=204)


class InvitationAcceptApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        token = serializers.CharField(max_length=100)

    class Output(serializers.Serializer):
        cooperative_id = serializers.IntegerField()
        role = serializers.CharField()

    @extend_schema(
        request=Input,
        responses={201: Output, 400: ERROR, 403: ERROR, 409: ERROR},
        summary="Accept an invitation (signed in with the invited e-mail address)",
    )
    def post(self, request: SignedInApiRequest) -> HttpResponseBase:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        membership = invitations.membership_accept(
            user=request.user, token=data.validated_data["token"]
        )
        return created(self.Output(membership).data)


name_nested_serializers(globals())
