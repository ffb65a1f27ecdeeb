package aks

import (
	"context"
	"errors"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// StaticToken returns a credential that always presents token as its
// bearer token, for a simulated cloud (caravan passes it in
// CARAVAN_ARM_TOKEN). Real Azure needs a credential that refreshes, such
// as azidentity's DefaultAzureCredential.
func StaticToken(token string) azcore.TokenCredential { return staticToken(token) }

type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if s == "" {
		return azcore.AccessToken{}, errors.New("error getting a token: the static token is empty; set CARAVAN_ARM_TOKEN")
	}
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(24 * time.Hour)}, nil
}
