"""energy analytics: time-of-use tariff versions, carbon factors per year, KPI
denominators per month, kept reports

Revision ID: 0016_energy_analytics
Revises: 0015_quality
Create Date: 2026-12-02 17:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0016_energy_analytics'
down_revision = '0015_quality'
branch_labels = None
depends_on = None


def _site(table):
    return [sa.Column('site_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE',
                                    name=f'fk_{table}_site_id_sites')]


def _stamps(updated=True):
    cols = [sa.Column('created_at', sa.DateTime(timezone=True),
                      server_default=sa.text('now()'), nullable=False)]
    if updated:
        cols.append(sa.Column('updated_at', sa.DateTime(timezone=True),
                              server_default=sa.text('now()'), nullable=False))
    return cols


def upgrade() -> None:
    op.create_table(
        'energy_tariffs',
        sa.Column('id', sa.Integer(), nullable=False),
        *_site('energy_tariffs'),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('currency', sa.String(length=8), nullable=False),
        sa.Column('periods', sa.JSON(), nullable=False),
        sa.Column('prices', sa.JSON(), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint('id', name='pk_energy_tariffs'),
        sa.UniqueConstraint('site_id', 'valid_from', name='uq_energy_tariffs_site_id'),
    )
    op.create_index('ix_energy_tariffs_site_id', 'energy_tariffs', ['site_id'])
    op.create_table(
        'energy_carbon_factors',
        sa.Column('id', sa.Integer(), nullable=False),
        *_site('energy_carbon_factors'),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('kg_per_kwh', sa.Float(), nullable=False),
        sa.Column('source', sa.String(length=255), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint('id', name='pk_energy_carbon_factors'),
        sa.UniqueConstraint('site_id', 'year', name='uq_energy_carbon_factors_site_id'),
    )
    op.create_index('ix_energy_carbon_factors_site_id', 'energy_carbon_factors', ['site_id'])
    op.create_table(
        'energy_denominators',
        sa.Column('id', sa.Integer(), nullable=False),
        *_site('energy_denominators'),
        sa.Column('area_id', sa.Integer(), nullable=True),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(['area_id'], ['areas.id'], ondelete='CASCADE',
                                name='fk_energy_denominators_area_id_areas'),
        sa.PrimaryKeyConstraint('id', name='pk_energy_denominators'),
    )
    op.create_index('ix_energy_denominators_site_id', 'energy_denominators', ['site_id'])
    # One value per (site, area or none, month, kind): NULL areas compare equal here.
    op.execute("CREATE UNIQUE INDEX uq_energy_denominators_key ON energy_denominators "
               "(site_id, coalesce(area_id, 0), month, kind)")
    op.create_table(
        'energy_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        *_site('energy_reports'),
        sa.Column('area_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('format', sa.String(length=8), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('totals', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        *_stamps(updated=False),
        sa.ForeignKeyConstraint(['area_id'], ['areas.id'], ondelete='CASCADE',
                                name='fk_energy_reports_area_id_areas'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL',
                                name='fk_energy_reports_created_by_users'),
        sa.PrimaryKeyConstraint('id', name='pk_energy_reports'),
    )
    op.create_index('ix_energy_reports_site_id', 'energy_reports', ['site_id'])
    op.execute("CREATE UNIQUE INDEX uq_energy_reports_key ON energy_reports "
               "(site_id, coalesce(area_id, 0), kind, period_start, format)")


def downgrade() -> None:
    for table in ('energy_reports', 'energy_denominators', 'energy_carbon_factors',
                  'energy_tariffs'):
        op.drop_table(table)
