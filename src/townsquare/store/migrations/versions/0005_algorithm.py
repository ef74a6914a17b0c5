"""the open algorithm: feed choice, custom feeds, feedback, opt-outs, served-feed logs,
communities

Revision ID: 0005_algorithm
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_algorithm"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ["community_interests", "community_known_for", "community_runs", "served_feeds",
          "account_recommendation_optouts", "status_recommendation_optouts", "feed_feedback",
          "feed_subscriptions", "custom_feeds", "feed_preferences"]


def upgrade() -> None:
    op.create_table('feed_preferences',
    sa.Column('account_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('default_feed', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_feed_preferences_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_feed_preferences'))
    )
    op.create_table('custom_feeds',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_custom_feeds_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_feeds'))
    )
    op.create_table('feed_subscriptions',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('feed_id', sa.BigInteger(), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_feed_subscriptions_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['feed_id'], ['custom_feeds.id'], name=op.f('fk_feed_subscriptions_feed_id_custom_feeds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_subscriptions')),
    sa.UniqueConstraint('account_id', 'feed_id', name=op.f('uq_feed_subscriptions_account_id_feed_id'))
    )
    op.create_table('feed_feedback',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_feed_feedback_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_feed_feedback_status_id_statuses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_feedback')),
    sa.UniqueConstraint('account_id', 'status_id', name=op.f('uq_feed_feedback_account_id_status_id'))
    )
    op.create_table('status_recommendation_optouts',
    sa.Column('status_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_status_recommendation_optouts_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_status_recommendation_optouts_status_id_statuses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('status_id', name=op.f('pk_status_recommendation_optouts'))
    )
    op.create_table('account_recommendation_optouts',
    sa.Column('account_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_recommendation_optouts_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_account_recommendation_optouts'))
    )
    op.create_table('served_feeds',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('feed', sa.String(length=40), nullable=False),
    sa.Column('weights_version', sa.Integer(), nullable=False),
    sa.Column('weights_digest', sa.String(length=16), nullable=False),
    sa.Column('previous_id', sa.BigInteger(), nullable=True),
    sa.Column('status_ids', sa.JSON(), nullable=False),
    sa.Column('log', sa.LargeBinary(), nullable=False),
    sa.Column('served_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_served_feeds_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_served_feeds'))
    )
    op.create_table('community_runs',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('producers', sa.Integer(), nullable=False),
    sa.Column('users', sa.Integer(), nullable=False),
    sa.Column('communities', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_runs'))
    )
    op.create_table('community_known_for',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('community', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_community_known_for_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'community', name=op.f('pk_community_known_for'))
    )
    op.create_table('community_interests',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('community', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_community_interests_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'community', name=op.f('pk_community_interests'))
    )
    op.create_index(op.f('ix_custom_feeds_account_id'), 'custom_feeds', ['account_id'], unique=False)
    op.create_index(op.f('ix_feed_subscriptions_feed_id'), 'feed_subscriptions', ['feed_id'], unique=False)
    op.create_index('ix_feed_feedback_account_id_author_id', 'feed_feedback', ['account_id', 'author_id'], unique=False)
    op.create_index(op.f('ix_status_recommendation_optouts_account_id'), 'status_recommendation_optouts', ['account_id'], unique=False)
    op.create_index('ix_served_feeds_account_id_id', 'served_feeds', ['account_id', 'id'], unique=False)
    op.create_index('ix_community_known_for_community', 'community_known_for', ['community'], unique=False)


def downgrade() -> None:
    for name in TABLES:
        op.drop_table(name)
