"""Table specs for the ETL: FoodMart file columns -> people fields."""

from etl.specs import TableSpec, register, same

register(
    TableSpec(
        name="department",
        model_label="people.Department",
        files=("department.csv",),
        columns={"department_id": "id", "department_description": "department_description"},
    ),
    TableSpec(
        name="position",
        model_label="people.Position",
        files=("position.csv",),
        columns={
            "position_id": "id",
            **same("position_title", "pay_type", "min_scale", "max_scale", "management_role"),
        },
    ),
    TableSpec(
        name="employee",
        model_label="people.Employee",
        files=("employee.csv",),
        aliases={
            "Employee": "employee_id",
            "Position": "position_id",
            "Store": "store_id",
            "Department": "department_id",
            "Supervisor": "supervisor_id",
        },
        # position_title and management_role repeat the position's: not kept.
        columns={
            "employee_id": "id",
            "position_id": "position",
            "store_id": "store",
            "department_id": "department",
            "supervisor_id": "supervisor",
            **same(
                "full_name",
                "first_name",
                "last_name",
                "birth_date",
                "hire_date",
                "end_date",
                "salary",
                "education_level",
                "marital_status",
                "gender",
            ),
        },
        null_codes={"supervisor_id": ("0",)},
    ),
    TableSpec(
        name="salary",
        model_label="people.PayrollLine",
        files=("salary.csv",),
        mode="append",
        columns={
            "employee_id": "employee",
            "department_id": "department",
            "currency_id": "currency",
            **same(
                "pay_date", "salary_paid", "overtime_paid", "vacation_accrued", "vacation_used"
            ),
        },
        date_field="pay_date",
        aliases={
            "Employee": "employee_id",
            "Department": "department_id",
            "Currency": "currency_id",
            "Date": "pay_date",
            "Salary": "salary_paid",
            "Overtime": "overtime_paid",
        },
    ),
)
