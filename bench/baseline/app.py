"""The churn service as the ML Zoomcamp course writes it: Flask + a pickle.

Deliberately plain (it is the baseline): no validation, no batching.
MODEL_PATH defaults to the pickle train_pickle.py writes by default.
"""

import os
import pickle

from flask import Flask, jsonify, request

model_file = os.environ.get('MODEL_PATH', os.path.join(os.path.dirname(__file__), '.build', 'model.bin'))

with open(model_file, 'rb') as f_in:
    dv, model = pickle.load(f_in)

app = Flask('churn')


@app.route('/predict', methods=['POST'])
def predict():
    customer = request.get_json()

    X = dv.transform([customer])
    y_pred = model.predict_proba(X)[0, 1]
    churn = y_pred >= 0.5

    result = {
        'churn_probability': float(y_pred),
        'churn': bool(churn),
    }
    return jsonify(result)


if __name__ == '__main__':
    app.run(debug=False, host='127.0.0.1', port=9696)
