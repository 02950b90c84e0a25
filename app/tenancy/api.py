"""/api/v1/me, /api/v1/organizations/register and organization member management."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_jwt_extended import get_jwt, jwt_required
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import joinedload

from app.core import context, sessions, tenancy, tokens
from app.core.actions import capabilities
from app.core.api import OpsBaseApi, domain_errors, json_body
from app.core.errors import MAX_ID, NotFound
from app.core.registry import registry
from app.core.security import current_capabilities
from app.core.tenancy import Membership
from app.extensions import db
from app.tenancy import services


class RegisterSchema(Schema):
    organization_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    username = fields.String(required=True, validate=validate.Length(min=3, max=64))
    password = fields.String(required=True, validate=validate.Length(min=8, max=128))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=64))


class MemberSchema(Schema):
    user_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    role = fields.String(required=True, validate=validate.Length(min=1, max=64))


class RoleSchema(Schema):
    role = fields.String(required=True, validate=validate.Length(min=1, max=64))


class InviteSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=3, max=64))
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    role = fields.String(required=True, validate=validate.Length(min=1, max=64))


class PasswordSchema(Schema):
    password = fields.String(required=True, validate=validate.Length(max=128))


class OwnPasswordSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=128))
    password = fields.String(required=True, validate=validate.Length(max=128))


class ProfileSchema(Schema):
    username = fields.String(validate=validate.Length(min=3, max=64))
    email = fields.String(validate=validate.Length(min=3, max=254))
    first_name = fields.String(validate=validate.Length(min=1, max=64))
    last_name = fields.String(validate=validate.Length(min=1, max=64))


def _member_json(m: Membership) -> dict:
    user = m.user
    return {
        "user_id": m.user_id,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": m.role.name,
        "active": bool(user.active),
        "last_login": user.last_login.isoformat() if user.last_login else None,
    }


def _org_json(org) -> dict | None:
    return {"id": org.id, "name": org.name, "slug": org.slug} if org is not None else None


class MeApi(OpsBaseApi):
    resource_name = "me"
    openapi_spec_tag = "Me"
    openapi_spec_component_schemas = (OwnPasswordSchema,)

    @expose("/", methods=["GET"])
    @jwt_required()
    @safe
    @domain_errors
    def get(self):
        """The current user, active organization, roles and capabilities.
        ---
        get:
          responses:
            200:
              description: The current user
            401:
              $ref: '#/components/responses/401'
        """
        sm = current_app.appbuilder.sm
        user = context.request_user()
        if user is None:
            return self.response_401()
        org = tenancy.resolve_active_organization()
        roles = sm.get_user_roles(user)
        token = tokens.presented()
        return self.response(
            200,
            id=user.id,
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            organization=_org_json(org),
            organizations=[{**_org_json(m.organization), "role": m.role.name} for m in tenancy.memberships_of(user.id)],
            roles=sorted(r.name for r in roles),
            capabilities=current_capabilities(),
            actions=capabilities(),
            # the API token this request came with (null for a login)
            token={"id": token.id, "name": token.name, "read_only": token.read_only} if token else None,
            **registry.me(),  # what the installed domains add (approvals: what I may request or decide)
        )

    @expose("/password", methods=["POST"])
    @jwt_required()
    @safe
    @domain_errors
    def password(self):
        """Change your own password: `{"current_password", "password"}`. Every session of yours
        ends, this one too: log in again.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/OwnPasswordSchema'
          responses:
            200:
              description: Changed
            422:
              $ref: '#/components/responses/422'
        """
        from app.core.accounts import change_own_password

        user = context.request_user()
        if user is None:
            return self.response_401()
        data = json_body(OwnPasswordSchema())
        change_own_password(user, data["current_password"], data["password"], data["password"])
        return self.response(200, message="Password changed; every session has ended: log in again.")


class SessionApi(OpsBaseApi):
    """Logout for API clients: revokes the presented access token (and refresh token if sent)."""

    resource_name = "security"
    openapi_spec_tag = "Security"

    @expose("/logout", methods=["POST"])
    @jwt_required(verify_type=False)
    @safe
    def logout(self):
        """Revoke the current token (and `refresh_token` from the body, if given).
        ---
        post:
          responses:
            200:
              description: Revoked
        """
        sm = current_app.appbuilder.sm
        sessions.end(get_jwt().get("sid"))  # the login's refresh token dies with it
        sm.revoke_token(get_jwt())
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("refresh_token"), str):
            from flask_jwt_extended import decode_token

            try:
                sm.revoke_token(decode_token(body["refresh_token"], allow_expired=True))
            except Exception:  # an unparseable refresh token is simply not revoked
                pass
        return self.response(200, message="Logged out")


class OrganizationApi(OpsBaseApi):
    resource_name = "organizations"
    openapi_spec_tag = "Organizations"
    class_permission_name = "Membership"
    method_permission_name = {
        "members": "read",
        "member": "read",
        "add_member": "write",
        "invite_member": "write",
        "change_member": "write",
        "member_password": "write",
        "member_profile": "write",
        "remove_member": "write",
    }
    base_permissions = ["can_read", "can_write"]
    openapi_spec_component_schemas = (InviteSchema, PasswordSchema, ProfileSchema)

    @expose("/register", methods=["POST"])
    @safe
    @domain_errors
    def register(self):
        """Register an organization with its first owner (only with OPSHUB_OPEN_REGISTRATION=1).
        ---
        post:
          responses:
            201:
              description: Registered
            404:
              description: Registration is closed
        """
        if not current_app.config.get("OPSHUB_OPEN_REGISTRATION"):
            return self.response_404()
        data = json_body(RegisterSchema())
        org, user = services.register_organization(**data)
        return self.response(201, organization_id=org.id, user_id=user.id)

    def _org_admin(self, org_id: int):
        """Members are managed in the active organization by roles with can_write on Membership
        (the organization's Admin members by default; @protect has checked the permission)."""
        active = tenancy.resolve_active_organization()
        if active is None or active.id != org_id:
            raise NotFound("Organization not found.")

    def _role(self, name: str):
        role = current_app.appbuilder.sm.find_role(name)
        if role is None or role.name == "Public":
            raise NotFound(f"Role {name!r} not found.", {"role": ["Unknown role."]})
        return role

    def _member(self, org_id: int, user_id: int) -> Membership:
        m = tenancy.membership_for(user_id, org_id)
        if m is None:
            raise NotFound("Member not found.")
        return m

    @expose("/<int:org_id>/members", methods=["GET"])
    @protect()
    @safe
    @permission_name("members")
    @domain_errors
    def members(self, org_id: int):
        """Members of the active organization.
        ---
        get:
          parameters:
          - in: path
            name: org_id
            required: true
            schema:
              type: integer
          responses:
            200:
              description: Members
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result:
                        type: array
                        items:
                          type: object
                          properties:
                            user_id: {type: integer}
                            username: {type: string}
                            role: {type: string}
        """
        active = tenancy.resolve_active_organization()
        if active is None or active.id != org_id:
            return self.response_404()
        stmt = (
            sa.select(Membership)
            .options(joinedload(Membership.user))
            .where(Membership.organization_id == org_id)
            .order_by(Membership.id)
        )
        role = (request.args.get("role") or "").strip()
        if role:
            from flask_appbuilder.security.sqla.models import Role

            stmt = stmt.join(Role, Role.id == Membership.role_id).where(sa.func.lower(Role.name) == role.lower()[:64])
        rows = db.session.scalars(stmt).unique()
        return self.response(200, result=[_member_json(m) for m in rows])

    @expose("/<int:org_id>/members/<int:user_id>", methods=["GET"])
    @protect()
    @safe
    @permission_name("member")
    @domain_errors
    def member(self, org_id: int, user_id: int):
        """One member of the active organization.
        ---
        get:
          responses:
            200:
              description: The member
            404:
              $ref: '#/components/responses/404'
        """
        self._org_admin(org_id)
        return self.response(200, result=_member_json(self._member(org_id, user_id)))

    @expose("/<int:org_id>/members/invite", methods=["POST"])
    @protect()
    @safe
    @permission_name("invite_member")
    @domain_errors
    def invite_member(self, org_id: int):
        """Create a user and make them a member: the answer holds a temporary password, once.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/InviteSchema'
          responses:
            201:
              description: Invited
            409:
              description: A user with that username or email exists
        """
        self._org_admin(org_id)
        data = json_body(InviteSchema())
        role = self._role(data.pop("role"))
        user, password = services.invite_member(org_id, role_id=role.id, **data)
        return self.response(201, user_id=user.id, username=user.username, role=role.name, temporary_password=password)

    @expose("/<int:org_id>/members/<int:user_id>/password", methods=["PUT"])
    @protect()
    @safe
    @permission_name("member_password")
    @domain_errors
    def member_password(self, org_id: int, user_id: int):
        """Set a member's password (the password policy applies; their sessions end). A member who
        also belongs to another organization: global administrators only.
        ---
        put:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/PasswordSchema'
          responses:
            200:
              description: Changed
        """
        self._org_admin(org_id)
        data = json_body(PasswordSchema())
        services.set_member_password(self._member(org_id, user_id), data["password"])
        return self.response(200, message="Password changed; their sessions have ended.")

    @expose("/<int:org_id>/members/<int:user_id>/profile", methods=["PUT"])
    @protect()
    @safe
    @permission_name("member_profile")
    @domain_errors
    def member_profile(self, org_id: int, user_id: int):
        """Change a member's username, email, first or last name (same rule as the password).
        ---
        put:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/ProfileSchema'
          responses:
            200:
              description: Changed
            409:
              description: Username or email taken
        """
        self._org_admin(org_id)
        data = json_body(ProfileSchema())
        membership = self._member(org_id, user_id)
        services.update_member_profile(membership, **data)
        return self.response(200, result=_member_json(membership))

    @expose("/<int:org_id>/members", methods=["POST"])
    @protect()
    @safe
    @permission_name("add_member")
    @domain_errors
    def add_member(self, org_id: int):
        """Add a user to the organization with a role.
        ---
        post:
          parameters:
          - in: path
            name: org_id
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [user_id, role]
                  properties:
                    user_id: {type: integer}
                    role: {type: string}
          responses:
            201:
              description: Added
        """
        self._org_admin(org_id)
        data = json_body(MemberSchema())
        user = current_app.appbuilder.sm.get_user_by_id(data["user_id"])
        if user is None:
            return self.response(422, message={"user_id": ["Unknown user."]})
        m = services.add_member(org_id, user.id, self._role(data["role"]).id)
        return self.response(201, user_id=m.user_id, role=data["role"])

    @expose("/<int:org_id>/members/<int:user_id>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("change_member")
    @domain_errors
    def change_member(self, org_id: int, user_id: int):
        """Change a member's role.
        ---
        put:
          parameters:
          - in: path
            name: org_id
            required: true
            schema:
              type: integer
          - in: path
            name: user_id
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [role]
                  properties:
                    role: {type: string}
          responses:
            200:
              description: Changed
        """
        self._org_admin(org_id)
        data = json_body(RoleSchema())
        m = services.change_member_role(self._member(org_id, user_id), self._role(data["role"]).id)
        return self.response(200, user_id=m.user_id, role=data["role"])

    @expose("/<int:org_id>/members/<int:user_id>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("remove_member")
    @domain_errors
    def remove_member(self, org_id: int, user_id: int):
        """Remove a member.
        ---
        delete:
          parameters:
          - in: path
            name: org_id
            required: true
            schema:
              type: integer
          - in: path
            name: user_id
            required: true
            schema:
              type: integer
          responses:
            200:
              description: Removed
        """
        self._org_admin(org_id)
        services.remove_member(self._member(org_id, user_id))
        return self.response(200, message="OK")
