"""Loads on someone's behalf respect their permissions and their stores:
the same rule as the admin (inventory.scoping), applied by the pipeline."""

import pandas as pd
import pytest

from etl.pipeline import LoadFailed, NotAllowed, run
from people.models import Employee, User
from sales.models import Expense

pytestmark = pytest.mark.django_db


def expenses(*stores):
    return pd.DataFrame(
        {
            "store_id": list(stores),
            "account_id": [4100] * len(stores),
            "exp_date": ["1999-01-01"] * len(stores),
            "category_id": ["ACTUAL"] * len(stores),
            "currency_id": [1] * len(stores),
            "amount": ["100.00"] * len(stores),
        }
    )


def user(name):
    return User.objects.get(username=name)


def test_manager_loads_expenses_of_their_store():
    batch = run(expenses(6), table="expense_fact", user=user("manager"))
    assert batch.rows_inserted == 1 and batch.created_by.username == "manager"


def test_manager_cannot_load_rows_for_another_store():
    before = Expense.objects.count()
    with pytest.raises(LoadFailed) as failed:
        run(expenses(6, 7), table="expense_fact", user=user("manager"))
    [problem] = failed.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "store_id", "7")
    assert problem.reason == "store 7 is not one of your stores"
    assert Expense.objects.count() == before


def test_manager_cannot_move_an_employee_in_from_another_store():
    outsider = Employee.objects.filter(store_id=7).order_by("pk").first()
    frame = pd.DataFrame(
        {
            "employee_id": [outsider.pk],
            "full_name": [outsider.full_name],
            "first_name": [outsider.first_name],
            "last_name": [outsider.last_name],
            "position_id": [outsider.position_id],
            "store_id": [6],
            "department_id": [outsider.department_id],
            "birth_date": [outsider.birth_date.isoformat()],
            "hire_date": [outsider.hire_date.isoformat()],
            "salary": [str(outsider.salary)],
            "supervisor_id": [outsider.supervisor_id or 0],
            "education_level": [outsider.education_level],
            "marital_status": [outsider.marital_status],
            "gender": [outsider.gender],
        }
    )
    with pytest.raises(LoadFailed, match="store 7 is not one of your stores"):
        run(frame, table="employee", user=user("manager"))
    outsider.refresh_from_db()
    assert outsider.store_id == 7


def test_a_load_needs_the_users_model_permissions():
    with pytest.raises(NotAllowed, match="may not add"):
        run(expenses(6), table="expense_fact", user=user("executive"))


def test_hq_loads_for_every_store():
    assert run(expenses(6, 7), table="expense_fact", user=user("hq")).rows_inserted == 2
