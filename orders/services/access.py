"""Who may act on an order, and the lock + check every order-level write starts with."""

from market.cooperatives.selectors import is_cooperative_staff
from market.models import User
from orders.errors import ActionForbidden, NotFound
from orders.locks import lock_order_and_payments
from orders.models import Order


def actor_roles(*, actor: User | None, order: Order) -> set[str]:
    """The roles `actor` holds on `order`: buyer, coop (its staff), admin; None is the system."""
    if actor is None:
        return {"system"}
    if not actor.is_authenticated or not actor.is_active:
        return set()
    roles = set()
    if order.buyer_id == actor.pk:
        roles.add("buyer")
    if is_cooperative_staff(user=actor, cooperative_id=order.cooperative_id):
        roles.add("coop")
    if actor.is_platform_admin:
        roles.add("admin")
    return roles


def lock_order_for(*, actor: User | None, order_id: int, allowed: set[str]) -> Order:
    """Lock the order (its payments first, see `orders.locks`) and check the actor holds one of
    the `allowed` roles on it. Raises NotFound (missing or not visible: no role at all) or
    ActionForbidden."""
    order = lock_order_and_payments(order_id)
    roles = actor_roles(actor=actor, order=order)
    if not roles:
        raise NotFound()  # not yours looks like missing
    if not roles & allowed:
        raise ActionForbidden()
    return order
