"""A customer's products over HTTP: telecom subscriptions and appliances. Whoever may see the customer
reads them; admins and supervisors (in their site's scope) add, change and delete them."""

from fastapi import APIRouter, Response, status

from baiying.api import audited
from baiying.api.deps import ClockDep, CurrentUser, SessionDep
from baiying.api.routes.customers import visible, writer
from baiying.api.schemas import KeyPath
from baiying.api.schemas.customers import ProductCreate, ProductPublic, ProductUpdate
from baiying.customers.model import ApplianceTerms, TelecomTerms
from baiying.storage.repositories import snapshot

router = APIRouter(prefix="/api/customers", tags=["customers"])
PRODUCT = "customer-product"


@router.get("/{customer_id}/products")
def list_products(customer_id: KeyPath, session: SessionDep, principal: CurrentUser) -> list[ProductPublic]:
    store, _, _ = visible(session, principal, customer_id)
    return [ProductPublic.of(row) for row in store.products(customer_id)]


@router.post("/{customer_id}/products", status_code=status.HTTP_201_CREATED)
def add_product(
    customer_id: KeyPath, body: ProductCreate, session: SessionDep, clock: ClockDep, principal: CurrentUser
) -> ProductPublic:
    store, row, _ = visible(session, principal, customer_id)
    writer(session, principal, "add products to", row.site_id)
    terms: TelecomTerms | ApplianceTerms
    if body.kind.value == "telecom":
        assert body.plan is not None
        assert body.monthly_fee_cents is not None
        terms = TelecomTerms(
            body.plan,
            body.monthly_fee_cents,
            body.minutes_allowance,
            body.data_allowance_mb,
            body.minutes_used,
            body.data_used_mb,
        )
    else:
        assert body.model is not None
        terms = ApplianceTerms(
            body.model, body.serial, body.purchase_date, body.warranty_end, body.product_tier
        )
    product = store.add_product(customer_id, body.id, body.name, terms, active=body.active, at=clock.now())
    audited.record(session, principal, clock, "create", PRODUCT, product.id, after=snapshot(product))
    session.commit()
    return ProductPublic.of(product)


@router.patch("/{customer_id}/products/{product_id}")
def update_product(
    customer_id: KeyPath,
    product_id: KeyPath,
    body: ProductUpdate,
    session: SessionDep,
    clock: ClockDep,
    principal: CurrentUser,
) -> ProductPublic:
    store, row, _ = visible(session, principal, customer_id)
    writer(session, principal, "change products of", row.site_id)
    before = snapshot(store.product(customer_id, product_id))
    product = store.update_product(customer_id, product_id, body.changes(), at=clock.now())
    audited.record(
        session, principal, clock, "update", PRODUCT, product_id, before=before, after=snapshot(product)
    )
    session.commit()
    return ProductPublic.of(product)


@router.delete("/{customer_id}/products/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_product(
    customer_id: KeyPath, product_id: KeyPath, session: SessionDep, clock: ClockDep, principal: CurrentUser
) -> Response:
    store, row, _ = visible(session, principal, customer_id)
    writer(session, principal, "delete products of", row.site_id)
    before = snapshot(store.product(customer_id, product_id))
    store.delete_product(customer_id, product_id)
    audited.record(session, principal, clock, "delete", PRODUCT, product_id, before=before)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
